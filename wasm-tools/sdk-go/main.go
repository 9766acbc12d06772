// word_freq: the template Go tool. It counts the words of a text and answers the most frequent
// ones, deterministically (by count, then alphabetically). Copy this folder to start a tool:
// rename it in tool.json, change Input/Output and run, and build it with build-go-tool.mjs.
//
// A tool exports `run`: it reads its JSON arguments with tool.Input and answers with tool.OK(value)
// or tool.Fail(message). It reaches nothing outside its own memory except through the kernel's
// host functions (package kernel), which the kernel checks against the capabilities granted for
// each call.
package main

import (
	"sort"
	"strings"
	"unicode"

	"amk.local/sdk-go/tool"
)

// Input is the tool's arguments; tool.json's inputSchema says the same to the kernel, which
// validates every call before the plugin sees it.
type Input struct {
	Text      string `json:"text"`
	Top       int    `json:"top"`
	MinLength int    `json:"minLength"`
}

// Word is one entry of the answer.
type Word struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Output is the tool's result (tool.json's outputSchema).
type Output struct {
	Total    int    `json:"total"`
	Distinct int    `json:"distinct"`
	Top      []Word `json:"top"`
}

// words splits a text into lower-case words: letters and digits, with inner apostrophes and
// hyphens kept ("don't", "well-known").
func words(text string) []string {
	var found []string
	var current []rune
	flush := func() {
		for len(current) > 0 && (current[len(current)-1] == '\'' || current[len(current)-1] == '-') {
			current = current[:len(current)-1]
		}
		if len(current) > 0 {
			found = append(found, string(current))
		}
		current = current[:0]
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			current = append(current, unicode.ToLower(r))
		case (r == '\'' || r == '’' || r == '-') && len(current) > 0:
			if r == '’' {
				r = '\''
			}
			current = append(current, r)
		default:
			flush()
		}
	}
	flush()
	return found
}

func frequencies(input Input) Output {
	top := input.Top
	if top <= 0 {
		top = 10
	}
	minLength := input.MinLength
	if minLength <= 0 {
		minLength = 1
	}
	counts := map[string]int{}
	total := 0
	for _, word := range words(input.Text) {
		if len([]rune(word)) < minLength {
			continue
		}
		counts[word]++
		total++
	}
	list := make([]Word, 0, len(counts))
	for word, count := range counts {
		list = append(list, Word{Word: word, Count: count})
	}
	// Map order is random in Go: sort fully so the same text always gives the same answer.
	sort.Slice(list, func(i, j int) bool {
		if list[i].Count != list[j].Count {
			return list[i].Count > list[j].Count
		}
		return strings.Compare(list[i].Word, list[j].Word) < 0
	})
	if len(list) > top {
		list = list[:top]
	}
	return Output{Total: total, Distinct: len(counts), Top: list}
}

//go:wasmexport run
func run() int32 {
	var input Input
	if err := tool.Input(&input); err != nil {
		return tool.Fail("invalid arguments: " + err.Error())
	}
	return tool.OK(frequencies(input))
}

// main is required by the Go toolchain but never runs: the module is built as a reactor
// (-buildmode=c-shared), so the host calls _initialize, then run.
func main() {}

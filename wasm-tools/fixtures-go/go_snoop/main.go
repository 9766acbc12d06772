// Test fixture: a Go plugin that looks for what the WASI subset must not give it (environment,
// arguments, preopened folders) using only the functions the subset has, floods stdout and
// stderr, and asks the kernel for an environment variable it was not granted.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"amk.local/sdk-go/kernel"
	"amk.local/sdk-go/tool"
)

type input struct {
	Mode string  `json:"mode"`
	Raw  rawCall `json:"raw"`
}

type report struct {
	Environ   []string `json:"environ"`
	Home      string   `json:"home"`
	Args      []string `json:"args"`
	Wrote     int      `json:"wrote"`
	KernelEnv string   `json:"kernelEnv"`
	Slept     bool     `json:"slept"`
}

//go:wasmexport run
func run() int32 {
	var in input
	if err := tool.Input(&in); err != nil {
		return tool.Fail(err.Error())
	}
	switch in.Mode {
	case "raw":
		return tool.OK(map[string]int32{"errno": rawWasi(in.Raw)})
	case "panic":
		fmt.Fprintln(os.Stderr, strings.Repeat("noise ", 2000))
		panic("the fixture panicked on purpose")
	case "grow":
		// Far past its 256 pages: the module's declared maximum stops the growth.
		var hoard [][]byte
		for i := 0; i < 64; i++ {
			hoard = append(hoard, make([]byte, 1<<20))
			hoard[i][0] = byte(i)
		}
		return tool.OK(len(hoard))
	}
	out := report{Environ: os.Environ(), Home: os.Getenv("HOME"), Args: os.Args}
	line := strings.Repeat("x", 1023) + "\n"
	for i := 0; i < 1024; i++ {
		n, _ := os.Stdout.WriteString(line)
		m, _ := os.Stderr.WriteString(line)
		out.Wrote += n + m
	}
	if err := kernel.Env("HOME", nil); err != nil {
		out.KernelEnv = err.Error()
	}
	started := time.Now()
	time.Sleep(20 * time.Millisecond)
	out.Slept = time.Since(started) >= 20*time.Millisecond
	return tool.OK(out)
}

func main() {}

// Package tool is the kernel's tool protocol for Go plugins: a tool's `run` export reads its JSON
// arguments with Input and answers with OK (a JSON value) or Fail (a message the agent sees).
// The kernel reads the answer as {"ok":true,"value":…} or {"ok":false,"error":"…"}.
package tool

import (
	"encoding/json"

	"github.com/extism/go-pdk"
)

// Input decodes the call's arguments (already checked by the kernel against tool.json's inputSchema).
func Input(v any) error { return pdk.InputJSON(v) }

type answer struct {
	OK    bool   `json:"ok"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

func write(a answer) int32 {
	out, err := json.Marshal(a)
	if err != nil {
		out, _ = json.Marshal(answer{Error: "the tool's answer is not JSON: " + err.Error()})
	}
	pdk.Output(out)
	return 0
}

// OK answers value (checked by the kernel against tool.json's outputSchema); return it from run.
func OK(value any) int32 { return write(answer{OK: true, Value: value}) }

// Fail answers an error the agent sees as the tool's failure; return it from run.
func Fail(message string) int32 { return write(answer{Error: message}) }

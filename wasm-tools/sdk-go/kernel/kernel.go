// Package kernel wraps the Agentic Microkernel's host functions for Go tools. Each takes a JSON
// request and answers {"ok":true,"value":…} or {"ok":false,"error":"…"}; the kernel checks every
// call against the capabilities granted for this one tool call (see docs/TOOLS.md). A function
// a tool never calls is not linked, so the plugin does not import it.
package kernel

import (
	"encoding/json"
	"errors"

	"github.com/extism/go-pdk"
)

//go:wasmimport extism:host/user kernel_http
func kernelHTTP(request uint64) uint64

//go:wasmimport extism:host/user kernel_fs
func kernelFS(request uint64) uint64

//go:wasmimport extism:host/user kernel_clock
func kernelClock(request uint64) uint64

//go:wasmimport extism:host/user kernel_memory
func kernelMemory(request uint64) uint64

//go:wasmimport extism:host/user kernel_env
func kernelEnv(request uint64) uint64

//go:wasmimport extism:host/user kernel_ipc
func kernelIPC(request uint64) uint64

type reply struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

func roundTrip(host func(uint64) uint64, request any, value any) error {
	sent, err := pdk.AllocateJSON(request)
	if err != nil {
		return err
	}
	offset := host(sent.Offset())
	sent.Free()
	answer := pdk.FindMemory(offset)
	text := answer.ReadBytes()
	answer.Free()
	var parsed reply
	if err := json.Unmarshal(text, &parsed); err != nil {
		return err
	}
	if !parsed.OK {
		return errors.New(parsed.Error)
	}
	if value == nil {
		return nil
	}
	return json.Unmarshal(parsed.Value, value)
}

// HTTP sends {"url","method":"GET"|"POST","body","contentType","maxBytes"}; needs net:HOST.
func HTTP(request map[string]any, value any) error { return roundTrip(kernelHTTP, request, value) }

// FS sends {"op":"read"|"write"|"list","path",…}; needs fs:read:PATH or fs:write:PATH.
func FS(request map[string]any, value any) error { return roundTrip(kernelFS, request, value) }

// Clock answers {"iso","epochMs","timeZone"}; needs clock.
func Clock(value any) error { return roundTrip(kernelClock, map[string]any{}, value) }

// Memory sends {"op":"search","query","k","agent"} or {"op":"pin","text"}: the calling agent's memory.
func Memory(request map[string]any, value any) error { return roundTrip(kernelMemory, request, value) }

// Env sends {"key"}; needs env:KEY, and answers {"key","value","set"}.
func Env(key string, value any) error {
	return roundTrip(kernelEnv, map[string]any{"key": key}, value)
}

// IPC sends {"to","text"} to another agent's mailbox; needs ipc:AGENT.
func IPC(request map[string]any, value any) error { return roundTrip(kernelIPC, request, value) }

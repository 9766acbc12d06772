// Test fixture: a Go plugin that reads /etc/passwd. os.ReadFile needs WASI's path_open, which is
// outside the subset, so the kernel refuses the module at load, naming that import.
package main

import (
	"os"

	"amk.local/sdk-go/tool"
)

//go:wasmexport run
func run() int32 {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return tool.Fail(err.Error())
	}
	return tool.OK(string(data))
}

func main() {}

package main

import "unsafe"

// Raw WASI calls with the pointers and counts the caller chooses, for the fuzz test: the subset
// must answer each with an errno (or fail the call), whatever the arguments.

//go:wasmimport wasi_snapshot_preview1 fd_write
func rawFdWrite(fd, iovs, count, written int32) int32

//go:wasmimport wasi_snapshot_preview1 random_get
func rawRandomGet(at, length int32) int32

//go:wasmimport wasi_snapshot_preview1 clock_time_get
func rawClockTimeGet(id int32, precision int64, at int32) int32

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func rawPollOneoff(subscriptions, events, count, eventCount int32) int32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_get
func rawFdstatGet(fd, at int32) int32

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
func rawEnvironSizesGet(count, size int32) int32

type rawCall struct {
	Fn   string  `json:"fn"`
	Args []int64 `json:"args"`
	// Which arguments are offsets into a zeroed scratch buffer (the others are used as they are).
	Scratch []bool `json:"scratch"`
}

func rawWasi(call rawCall) int32 {
	scratch := make([]byte, 4096)
	base := int64(uintptr(unsafe.Pointer(&scratch[0])))
	arg := func(i int) int64 {
		if i >= len(call.Args) {
			return 0
		}
		if i < len(call.Scratch) && call.Scratch[i] {
			return base + call.Args[i]
		}
		return call.Args[i]
	}
	a := func(i int) int32 { return int32(arg(i)) }
	switch call.Fn {
	case "fd_write":
		return rawFdWrite(a(0), a(1), a(2), a(3))
	case "random_get":
		return rawRandomGet(a(0), a(1))
	case "clock_time_get":
		return rawClockTimeGet(a(0), arg(1), a(2))
	case "poll_oneoff":
		return rawPollOneoff(a(0), a(1), a(2), a(3))
	case "fd_fdstat_get":
		return rawFdstatGet(a(0), a(1))
	case "environ_sizes_get":
		return rawEnvironSizesGet(a(0), a(1))
	}
	return -1
}

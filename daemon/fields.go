package daemon

import "time"

// The conventions of the numeric fields of TFTP and SSH.

// orDefault is a field where 0 means the default def.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// orNone is a field where 0 means the default def and a negative value
// means none (0): no retries, no timeout.
func orNone[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

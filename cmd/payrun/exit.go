package main

import (
	"errors"
	"fmt"
)

// Exit codes, documented in the README. When several apply, the highest-ranked
// wins in the order 130, 3, 2, 4, 1, 0.
const (
	exitOK          = 0
	exitRowProblems = 1
	exitUsage       = 2
	exitLocked      = 3
	exitStopped     = 4
	exitInterrupted = 130
)

// errQuiet marks an error whose message was already shown to the user.
var errQuiet = errors.New("already reported")

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		err = errQuiet
	}
	return &exitError{code: code, err: err}
}

// usageError returns an error that exits 2.
func usageError(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// exitCode maps an error to the process exit code. Errors without a code are
// usage or configuration errors.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}

// rankExit returns the code that wins when both apply.
func rankExit(a, b int) int {
	rank := func(c int) int {
		switch c {
		case exitInterrupted:
			return 6
		case exitLocked:
			return 5
		case exitUsage:
			return 4
		case exitStopped:
			return 3
		case exitRowProblems:
			return 2
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

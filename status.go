package payrun

// IsTerminalStatus reports whether an Anton payout status is final: completed,
// failed, returned, screening_failed, velocity_blocked or cancelled. Unknown
// statuses are not terminal. A completed payout can still become returned.
func IsTerminalStatus(status string) bool {
	switch status {
	case "completed", "failed", "returned", "screening_failed", "velocity_blocked", "cancelled":
		return true
	}
	return false
}

// CanMoveStatus reports whether a payout recorded in status from may be moved
// to status to. A terminal status never moves, except completed to returned, so
// late or reordered events cannot move a payout backwards.
func CanMoveStatus(from, to string) bool {
	if from == to || to == "" {
		return false
	}
	if from == "completed" {
		return to == "returned"
	}
	return !IsTerminalStatus(from)
}

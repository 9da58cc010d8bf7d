package docscheck

import "fmt"

// Problem is one finding, reported as FILE:LINE: message.
type Problem struct {
	File string
	Line int // 0 when the finding is about the whole file
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

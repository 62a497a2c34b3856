package proc

import (
	"io"
	"strings"
	"sync"
)

// maxOutput bounds what an Output keeps in memory; older bytes are dropped first.
const maxOutput = 8 << 20

// Output collects what a child process writes to stdout and stderr (the function's JSON log
// lines, aws-lambda-rie's own lines, moto's request log) so it can be read afterwards. It is
// safe for concurrent use. Offsets count every byte ever written, so a caller can mark where an
// invocation started and read what it wrote with Since.
type Output struct {
	mu      sync.Mutex
	buf     []byte
	dropped int // bytes dropped from the front to stay under maxOutput
	tee     io.Writer
}

// NewOutput returns an empty Output that also copies everything to tee, when tee is not nil.
func NewOutput(tee io.Writer) *Output {
	return &Output{tee: tee}
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if over := len(o.buf) - maxOutput; over > 0 {
		o.buf = append(o.buf[:0], o.buf[over:]...)
		o.dropped += over
	}
	if o.tee != nil {
		_, _ = o.tee.Write(p) // a copy for the reader's convenience; losing it loses nothing here
	}
	return len(p), nil
}

// Offset is the number of bytes written so far.
func (o *Output) Offset() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped + len(o.buf)
}

// Since returns what was written after offset (as much of it as is still kept).
func (o *Output) Since(offset int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	i := max(offset-o.dropped, 0)
	if i > len(o.buf) {
		return ""
	}
	return string(o.buf[i:])
}

// String returns everything kept.
func (o *Output) String() string {
	return o.Since(0)
}

// Tail returns the last n lines.
func (o *Output) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(o.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

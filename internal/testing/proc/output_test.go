package proc

import "testing"

func TestOutputSinceSurvivesDropping(t *testing.T) {
	o := NewOutput(nil)
	big := make([]byte, maxOutput)
	o.Write(big)
	mark := o.Offset()
	o.Write([]byte("after the mark\n"))
	if got := o.Since(mark); got != "after the mark\n" {
		t.Errorf("Since(mark) = %q; want the line written after the mark", got)
	}
	if got, want := o.Offset(), maxOutput+len("after the mark\n"); got != want {
		t.Errorf("Offset() = %d; want %d", got, want)
	}
}

package emulator

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// IsTerminal reports whether f is a character device (a terminal) and colour is welcome there:
// NO_COLOR unset and TERM not "dumb".
func IsTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// style colours text with ANSI escapes, or leaves it alone when color is false.
type style struct{ color bool }

func (s style) paint(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bold(t string) string   { return s.paint("1", t) }
func (s style) dim(t string) string    { return s.paint("2", t) }
func (s style) green(t string) string  { return s.paint("32", t) }
func (s style) yellow(t string) string { return s.paint("33", t) }
func (s style) red(t string) string    { return s.paint("31", t) }

// printer writes the demo's story: headings, wrapped paragraphs, tables.
type printer struct {
	w  io.Writer
	st style
}

func (p *printer) printf(format string, args ...any) {
	fmt.Fprintf(p.w, format, args...)
}

// heading prints a section title with a blank line before it.
func (p *printer) heading(title string) {
	p.printf("\n%s\n", p.st.bold(title))
}

// para prints text wrapped at 92 columns, indented by three spaces.
func (p *printer) para(text string) {
	const width, indent = 92, "   "
	line := indent
	for _, word := range strings.Fields(text) {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width && line != indent {
			p.printf("%s\n", line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	if line != indent {
		p.printf("%s\n", line)
	}
}

// result prints one invocation's outcome: who answered, what, and how long it took.
func (p *printer) result(who, what string, took time.Duration) {
	p.printf("   %s %s %s\n", p.st.bold(who+":"), what, p.st.dim("("+ms(took)+")"))
}

// table is a plain text table: columns padded to their widest cell, a bold header, and an
// optional colour for some cells.
type table struct {
	header []string
	rows   [][]string
	// paint, when set, colours a cell after padding (so colour codes do not skew widths).
	paint func(col int, cell string) func(string) string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(p *printer) {
	var widths []int
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string, head bool) {
		var b strings.Builder
		b.WriteString("   ")
		for i, c := range cells {
			pad := c
			if i < len(cells)-1 {
				pad += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2)
			}
			switch {
			case head:
				pad = p.st.dim(pad)
			case t.paint != nil:
				if f := t.paint(i, c); f != nil {
					pad = f(pad)
				}
			}
			b.WriteString(pad)
		}
		p.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
	if len(t.header) > 0 {
		line(t.header, true)
	}
	for _, r := range t.rows {
		line(r, false)
	}
}

// ms renders a duration for people: milliseconds below a second, else seconds.
func ms(d time.Duration) string {
	switch {
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

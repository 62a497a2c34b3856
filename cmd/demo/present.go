package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// isTerminal reports whether f is a character device (a terminal) and colour is welcome there:
// NO_COLOR unset and TERM not "dumb".
func isTerminal(f *os.File) bool {
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

// table is a plain text table, aligned by text/tabwriter, with a dim header and, when paint is
// set, a colour for the last column's cells (a colour code inside a cell would skew
// tabwriter's widths, so colour is added after alignment).
type table struct {
	header []string
	rows   [][]string
	paint  func(string) string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(p *printer) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	rows := t.rows
	if len(t.header) > 0 {
		rows = append([][]string{t.header}, rows...)
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush() // writes to memory: cannot fail
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	last := -1 // where the last column starts, in runes, as the header shows it
	if len(t.header) > 0 {
		last = utf8.RuneCountInString(lines[0]) - utf8.RuneCountInString(t.header[len(t.header)-1])
	}
	for i, line := range lines {
		line = strings.TrimRight(line, " ")
		switch {
		case i == 0 && len(t.header) > 0:
			line = p.st.dim(line)
		case t.paint != nil && last >= 0 && utf8.RuneCountInString(line) > last:
			cut := len(string([]rune(line)[:last]))
			line = line[:cut] + t.paint(line[cut:])
		}
		p.printf("   %s\n", line)
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

//go:build integration

package provision_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// TestHostileValuesCannotForgeLogLines sends values with newlines, control characters and a
// fake JSON log record. Every line the handler logs must be one JSON object it wrote itself.
func TestHostileValuesCannotForgeLogLines(t *testing.T) {
	forged := "x\n{\"level\":\"INFO\",\"msg\":\"forged\"}\r\n\x1b[31mred\x7f"
	for _, field := range []string{"team", "project"} {
		t.Run(field, func(t *testing.T) {
			w, _, svc := setup(t, nil)
			var buf bytes.Buffer
			svc.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
			ev := edit("create-project.json", func(ev map[string]any) {
				rp := requestParameters(ev)
				if field == "team" {
					rp["tags"] = []any{map[string]any{"key": "team", "value": forged}}
				} else {
					rp["projectName"] = forged
				}
			})
			sum, err := svc.Handle(world.Deadline(t), ev)
			if err != nil || sum.Status != publish.StatusRejected {
				t.Fatalf("got %q, %v; want rejected", sum.Status, err)
			}
			logged := buf.String()
			lines := 0
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				lines++
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("log line %q is not one JSON object: %v", sc.Text(), err)
				}
				if rec["msg"] == "forged" {
					t.Errorf("a forged record reached the log: %s", sc.Text())
				}
			}
			if lines != 1 {
				t.Errorf("log lines: got %d; want exactly the one rejection", lines)
			}
			if !strings.Contains(logged, `\n`) {
				t.Errorf("the newline should appear escaped in the record: %s", logged)
			}
			if repos := w.Repositories(t); len(repos) != 0 {
				t.Errorf("repositories: got %v; want none", repos)
			}
		})
	}
}

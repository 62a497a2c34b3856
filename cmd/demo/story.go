package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stack"
)

// options steer run.
type options struct {
	// Out receives the story.
	Out io.Writer
	// Color adds ANSI colour; set it only when Out is a terminal (see isTerminal).
	Color bool
	// LogDir, when not empty, keeps each process's output there (see stack.Options.LogDir).
	LogDir string
}

// The project of the story: the sample CreateProject event's.
const (
	demoProject   = "Churn-Model"
	demoProjectID = "p-1a2b3c4d5e6f"
	demoTeam      = "data-science"
	// demoEdited is the repository someone edits by hand, and the retention they set.
	demoEdited      = "acme-sm-data-science-churn-model/training"
	demoEditedCount = 99
)

// demo is one run of the story.
type demo struct {
	printer
	stack  *stack.Stack
	logDir string
	events []account.Event // every event read back so far, in order
	// timings
	build, start time.Duration
	invocations  map[string][]time.Duration
}

// run builds the functions, starts a Stack, and tells the product's story on it: a project
// is created and gets its repositories; the first reconcile creates the shared ones; a
// lifecycle policy edited by hand is reported, fixed and reported compliant; and the events
// the product published are read back. Everything it started is stopped when it returns,
// whether it succeeded, failed or ctx was cancelled (Ctrl-C).
func run(ctx context.Context, opts options) error {
	began := time.Now()
	d := &demo{printer: printer{w: opts.Out, st: style{color: opts.Color}}, invocations: map[string][]time.Duration{}, logDir: opts.LogDir}
	d.printf("%s\n", d.st.bold("sagemaker-ecr-provisioner: local demo"))
	d.para("Both functions run as their real bootstrap binaries under aws-lambda-rie. moto_server " +
		"stands in for ECR, SSM, EventBridge and SQS, and a small in-process stand-in for SageMaker. " +
		"Nothing reaches AWS.")

	if err := stack.CheckTools(ctx); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sagemaker-ecr-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	d.heading("Setup")
	d.para(fmt.Sprintf("Building both functions for linux/%s with the Makefile's flags (a first build "+
		"takes a minute or two), then starting everything...", runtime.GOARCH))
	d.printf("\n")
	t := time.Now()
	bins, err := rie.Build(ctx, dir)
	if err != nil {
		return err
	}
	d.build = time.Since(t)
	t = time.Now()
	st, err := stack.Start(ctx, stack.Options{Binaries: bins, LogDir: opts.LogDir})
	if err != nil {
		return err
	}
	defer st.Stop()
	d.stack = st
	if err := st.Reset(ctx); err != nil {
		return err
	}
	d.start = time.Since(t)
	setup := table{}
	setup.add("built", fmt.Sprintf("provision/bootstrap and drift/bootstrap, linux/%s, in %s", bins.Arch, ms(d.build)))
	setup.add("moto_server", st.Moto.URL)
	setup.add("SageMaker stand-in", st.SageMaker.URL)
	setup.add("ProvisionFunction", "aws-lambda-rie on "+st.Provision.URL)
	setup.add("DriftFunction", "aws-lambda-rie on "+st.Drift.URL)
	setup.add("configuration", fmt.Sprintf("SSM %s/company = %s; every other parameter at its default", account.ConfigPath, account.Company))
	setup.add("product events", "EventBridge rule on the default bus -> SQS queue "+account.EventsQueue)
	setup.write(&d.printer)

	for _, step := range []func(context.Context) error{d.createProject, d.firstReconcile, d.handEdit, d.repair, d.inUse, d.published} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	st.Stop()
	d.timings(time.Since(began))
	return nil
}

// createProject: a CreateProject event arrives and the project gets its repositories.
func (d *demo) createProject(ctx context.Context) error {
	d.heading("1. A data scientist creates a SageMaker project")
	d.stack.SageMaker.PutProject(demoProject, demoProjectID, map[string]string{"team": demoTeam, "cost-center": "cc-42"})
	d.para(fmt.Sprintf("Project %s, tagged team=%s, is created in SageMaker. CloudTrail's CreateProject "+
		"record reaches ProvisionFunction through EventBridge (the sample event).", demoProject, demoTeam))
	var sum stack.ProvisionSummary
	took, err := d.invoke(ctx, d.stack.Provision, "create-project.json", &sum)
	if err != nil {
		return err
	}
	d.result("ProvisionFunction", fmt.Sprintf("%s, project %s, team %s", d.status(sum.Status), sum.Project, sum.Team), took)
	if sum.Status != "provisioned" {
		return fmt.Errorf("ProvisionFunction said %q (%s); want provisioned", sum.Status, sum.Reason)
	}
	results := map[string]stack.RepositoryResult{}
	for _, r := range sum.Repositories {
		results[r.Repository] = r
	}
	return d.repositories(ctx, "acme-sm-data-science-churn-model/", 3, results)
}

// firstReconcile: the scheduled drift run creates the shared repositories.
func (d *demo) firstReconcile(ctx context.Context) error {
	d.heading("2. The first reconcile")
	d.para("Every hour EventBridge's schedule runs DriftFunction. In drift-mode fix, the default, it " +
		"checks every managed repository's settings, fixes what drifted and creates what is " +
		"missing: here, the shared base-image repositories.")
	var sum stack.DriftSummary
	took, err := d.invoke(ctx, d.stack.Drift, "scheduled-event.json", &sum)
	if err != nil {
		return err
	}
	d.result("DriftFunction", fmt.Sprintf("%s run (%s): %s", sum.Mode, sum.Trigger, counts(sum)), took)
	if sum.Created != 3 {
		return fmt.Errorf("DriftFunction created %d repositories; want the 3 shared ones", sum.Created)
	}
	// The product says what it did to each repository in its Provisioned event.
	results := map[string]stack.RepositoryResult{}
	for _, ev := range d.events {
		var detail resultsDetail
		if ev.DetailType == publish.RepositoriesProvisioned && json.Unmarshal(ev.Detail, &detail) == nil {
			for _, r := range detail.Repositories {
				results[r.Repository] = r
			}
		}
	}
	return d.repositories(ctx, "acme-sagemaker-shared/", 3, results)
}

// handEdit: a repository edited by hand is reported, fixed, and then reported compliant.
func (d *demo) handEdit(ctx context.Context) error {
	d.heading("3. Someone edits a repository by hand")
	if err := d.stack.Account.EditRetentionByHand(ctx, demoEdited, demoEditedCount); err != nil {
		return err
	}
	if err := d.stack.Account.SetMutabilityByHand(ctx, demoEdited, "IMMUTABLE"); err != nil {
		return err
	}
	d.para(fmt.Sprintf("In the console, someone makes %s keep %d images instead of 10, and makes its "+
		"tags immutable. A drift run in report mode (the new verify.sh) finds both and changes nothing:", demoEdited, demoEditedCount))
	before := len(d.events)
	report, err := d.drift(ctx, config.ModeReport)
	if err != nil {
		return err
	}
	if report.Drifted != 1 {
		return fmt.Errorf("report run found %d drifted repositories; want 1", report.Drifted)
	}
	found := table{header: []string{"REPOSITORY", "SETTING", "WHERE", "EXPECTED", "FOUND"},
		paint: d.st.yellow}
	for _, ev := range d.events[before:] {
		var dd driftDetail
		if ev.DetailType != publish.DriftDetected || json.Unmarshal(ev.Detail, &dd) != nil {
			continue
		}
		for _, df := range dd.Differences {
			found.add(dd.Repository, df.Setting, df.Path, df.Expected, df.Found)
		}
	}
	d.printf("\n")
	found.write(&d.printer)
	d.printf("\n")
	if n, err := d.retention(ctx, demoEdited); err != nil || n != demoEditedCount {
		return fmt.Errorf("after the report run %s keeps %d images (%v); report mode must not write", demoEdited, n, err)
	}

	fix, err := d.drift(ctx, config.ModeFix)
	if err != nil {
		return err
	}
	n, err := d.retention(ctx, demoEdited)
	if err != nil {
		return err
	}
	r, _, err := d.stack.Account.Repository(ctx, demoEdited)
	if err != nil {
		return err
	}
	if fix.Fixed != 1 || n != 10 || r.Mutability != "MUTABLE" {
		return fmt.Errorf("fix run fixed %d and %s keeps %d images, %s; want 1 fixed, keeping 10, MUTABLE", fix.Fixed, demoEdited, n, r.Mutability)
	}
	d.printf("   %s\n", d.st.green(fmt.Sprintf("%s keeps %d images again, and its tags are mutable again.", demoEdited, n)))

	again, err := d.drift(ctx, config.ModeReport)
	if err != nil {
		return err
	}
	if again.Drifted != 0 || again.Compliant != again.Scanned {
		return fmt.Errorf("second report run: %s; want every repository compliant", counts(again))
	}
	d.printf("   %s\n", d.st.green(fmt.Sprintf("All %d managed repositories are compliant.", again.Scanned)))
	return nil
}

// repair: the CloudTrail record of a hand edit reaches DriftFunction, which puts that one
// repository right within the invocation.
func (d *demo) repair(ctx context.Context) error {
	d.heading("4. A hand edit is undone at once")
	if err := d.stack.Account.EditRetentionByHand(ctx, demoEdited, demoEditedCount); err != nil {
		return err
	}
	d.para(fmt.Sprintf("Someone sets %s to keep %d images again. This time CloudTrail's "+
		"PutLifecyclePolicy record reaches DriftFunction through EventBridge (the sample event), "+
		"and it reconciles that one repository, without waiting for the next sweep:", demoEdited, demoEditedCount))
	var sum stack.DriftSummary
	took, err := d.invoke(ctx, d.stack.Drift, "ecr-put-lifecycle-policy.json", &sum)
	if err != nil {
		return err
	}
	d.result("DriftFunction", fmt.Sprintf("repair of %s after %s: %s", sum.Repository, sum.Event, counts(sum)), took)
	n, err := d.retention(ctx, demoEdited)
	if err != nil {
		return err
	}
	if sum.Fixed != 1 || n != 10 {
		return fmt.Errorf("the repair fixed %d and %s keeps %d images; want it fixed, keeping 10", sum.Fixed, demoEdited, n)
	}
	d.printf("   %s\n", d.st.green(fmt.Sprintf("%s keeps %d images again, one invocation after the edit.", demoEdited, n)))
	return nil
}

// drift runs DriftFunction by hand in mode and prints its summary.
func (d *demo) drift(ctx context.Context, mode config.Mode) (stack.DriftSummary, error) {
	payload, _ := json.Marshal(map[string]config.Mode{"mode": mode})
	var sum stack.DriftSummary
	took, err := d.invokePayload(ctx, d.stack.Drift, payload, &sum)
	if err == nil {
		d.result("DriftFunction "+string(payload), counts(sum), took)
	}
	return sum, err
}

// published: the events, read back through the SQS target.
func (d *demo) published(ctx context.Context) error {
	d.heading("6. What the product published")
	d.para("Every result is an event on the default bus, source " + publish.Source + ". An EventBridge " +
		"rule sends them to an SQS queue in moto; this is what it received:")
	d.printf("\n")
	if len(d.events) == 0 {
		return errors.New("no event reached the queue")
	}
	t := table{header: []string{"DETAIL-TYPE", "SUMMARY"}}
	for _, ev := range d.events {
		t.add(ev.DetailType, summarize(ev))
	}
	t.write(&d.printer)
	return nil
}

// timings prints where the time went.
func (d *demo) timings(wall time.Duration) {
	d.heading("Timings")
	t := table{}
	t.add("wall time", ms(wall), "from the demo's start to everything stopped (go run's own compile not included)")
	t.add("build", ms(d.build), "make build of both functions, for this machine")
	t.add("start", ms(d.start), "moto_server (most of it), stand-in, 2 × aws-lambda-rie, configuration")
	for _, f := range []*rie.Function{d.stack.Provision, d.stack.Drift} {
		init := "not measured"
		if v, ok := f.InitDuration(); ok {
			init = ms(v)
		}
		t.add(f.Name+" init", init, "aws-lambda-rie's INIT REPORT: bootstrap started to ready for work")
	}
	for _, f := range []*rie.Function{d.stack.Provision, d.stack.Drift} {
		var parts []string
		for _, took := range d.invocations[f.Name] {
			parts = append(parts, ms(took))
		}
		count := fmt.Sprintf("%d invocations", len(parts))
		if len(parts) == 1 {
			count = "1 invocation"
		}
		t.add(f.Name, count, strings.Join(parts, ", "))
	}
	t.write(&d.printer)
	d.printf("\nEverything the demo started has been stopped.\n")
	if d.logDir != "" {
		d.printf("Each process's output is in %s.\n", d.logDir)
	}
}

// invoke sends the sample event name to f and decodes the response into into.
func (d *demo) invoke(ctx context.Context, f *rie.Function, name string, into any) (time.Duration, error) {
	return d.invokePayload(ctx, f, samples.Event(name), into)
}

// invokePayload invokes f, decodes its response, and reads back the events it published. A
// failure carries what the function printed meanwhile.
func (d *demo) invokePayload(ctx context.Context, f *rie.Function, payload []byte, into any) (time.Duration, error) {
	mark := f.Output().Offset()
	t := time.Now()
	body, err := f.Invoke(ctx, payload)
	took := time.Since(t)
	d.invocations[f.Name] = append(d.invocations[f.Name], took)
	if err == nil {
		err = json.Unmarshal(body, into)
	}
	if err != nil {
		if ctx.Err() != nil {
			return took, err
		}
		return took, fmt.Errorf("%w\n%s printed:\n%s", err, f.Name, f.Output().Since(mark))
	}
	events, err := d.stack.Events.Drain(ctx)
	d.events = append(d.events, events...)
	return took, err
}

// repositories prints the repositories under prefix as moto holds them, with what the product
// said it did to each, and checks there are want of them.
func (d *demo) repositories(ctx context.Context, prefix string, want int, results map[string]stack.RepositoryResult) error {
	all, err := d.stack.Account.Repositories(ctx)
	if err != nil {
		return err
	}
	t := table{header: []string{"REPOSITORY", "URI", "RETENTION", "WHAT HAPPENED"},
		paint: d.st.green}
	for _, r := range all {
		if !strings.HasPrefix(r.Name, prefix) {
			continue
		}
		keep := "none"
		if n, ok := r.Retention(); ok {
			keep = fmt.Sprintf("keep %d", n)
		} else if r.HasPolicy {
			keep = "custom"
		}
		happened := "-"
		if res, ok := results[r.Name]; ok {
			happened = happenedTo(res)
		}
		t.add(r.Name, r.URI, keep, happened)
	}
	d.printf("\n")
	t.write(&d.printer)
	if len(t.rows) != want {
		return fmt.Errorf("moto holds %d repositories under %s; want %d", len(t.rows), prefix, want)
	}
	return nil
}

// retention is how many images the repository's lifecycle policy keeps, as moto holds it.
func (d *demo) retention(ctx context.Context, name string) (int, error) {
	r, ok, err := d.stack.Account.Repository(ctx, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("repository %s does not exist", name)
	}
	n, ok := r.Retention()
	if !ok {
		return 0, fmt.Errorf("repository %s has no keep-newest-N policy: %s", name, r.Policy)
	}
	return n, nil
}

func (d *demo) status(s string) string {
	switch s {
	case "provisioned", "in-sync", "retired":
		return d.st.green(s)
	case "failed", "rejected":
		return d.st.red(s)
	}
	return d.st.yellow(s)
}

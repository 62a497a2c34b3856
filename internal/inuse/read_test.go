package inuse_test

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	testaccount "github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
)

// standIn serves a SageMaker stand-in and returns it with the SDK's own client of it, and the
// calls that client makes. The client retries a dropped connection only (the local transport
// now and then reports a close while it reads an answer); the calls are counted once each,
// however often they are sent.
func standIn(t *testing.T) (*sagemakerfake.Server, *sagemaker.Client, *calls) {
	t.Helper()
	fake := sagemakerfake.New(region, account)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := &calls{n: map[string]int{}}
	client := sagemaker.NewFromConfig(testaccount.SDK(srv.URL, nil), func(o *sagemaker.Options) {
		o.APIOptions = append(o.APIOptions, c.count)
	})
	return fake, client, c
}

// calls counts the operations a client is asked to make.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

// count is an SDK API option that counts each call before its retries.
func (c *calls) count(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.Before)
}

// get returns the counts so far, by operation name.
func (c *calls) get() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// uses builds the references of one use.
func uses(use inuse.Use, images ...string) []inuse.Reference {
	var refs []inuse.Reference
	for _, image := range images {
		refs = append(refs, inuse.Reference{Image: image, Use: use})
	}
	return refs
}

// seed puts every kind of use, and of non-use, in fake and returns the references Read is
// to find, sorted.
func seed(fake *sagemakerfake.Server) []inuse.Reference {
	type (
		di  = sagemakerfake.DeployedImage
		v   = sagemakerfake.Variant
		cv  = sagemakerfake.ConfigVariant
		ref = inuse.Reference
	)
	ep := func(name string) inuse.Use { return inuse.Use{Kind: inuse.KindEndpoint, Name: name} }
	var want []ref

	// An endpoint in service: what its variants and shadow variants run; its configuration
	// is not read (it does not exist: reading it would not matter, but would cost a call).
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-live", ConfigName: "cfg-live",
		Variants: []v{{Name: "AllTraffic", Images: []di{
			{SpecifiedImage: host + "/churn:v1", ResolvedImage: host + "/churn@" + digestA},
			{SpecifiedImage: host + "/sidecar:v1"}}}},
		Shadow: []v{{Name: "shadow", Images: []di{{ResolvedImage: host + "/churn-shadow@" + digestB}}}}})
	want = append(want, uses(ep("ep-live"), host+"/churn@"+digestA, host+"/sidecar:v1", host+"/churn-shadow@"+digestB)...)

	// An endpoint being updated: what it runs, what is being deployed, and the models of
	// both configurations.
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-updating", Status: "Updating", ConfigName: "cfg-old",
		Variants: []v{{Name: "AllTraffic", Images: []di{{ResolvedImage: host + "/old@" + digestA}}}},
		Pending: &sagemakerfake.Pending{ConfigName: "cfg-new",
			Variants: []v{{Name: "AllTraffic", Images: []di{{SpecifiedImage: host + "/new:v2", ResolvedImage: host + "/new@" + digestB}}}},
			Shadow:   []v{{Name: "shadow", Images: []di{{SpecifiedImage: host + "/new-shadow:v2"}}}}}})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-new",
		Variants: []cv{{ModelName: "m-new"}}, Shadow: []cv{{ModelName: "m-new-shadow"}}})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-old", Variants: []cv{{ModelName: "m-old"}}})
	fake.PutModel(sagemakerfake.Model{Name: "m-new", Image: host + "/new:v2"})
	fake.PutModel(sagemakerfake.Model{Name: "m-new-shadow", Containers: []string{host + "/pre:v1", host + "/new-shadow:v2"}})
	fake.PutModel(sagemakerfake.Model{Name: "m-old", Image: host + "/old:v1"})
	want = append(want, uses(ep("ep-updating"), host+"/old@"+digestA, host+"/new@"+digestB, host+"/new-shadow:v2",
		host+"/new:v2", host+"/pre:v1", host+"/old:v1")...)

	// An endpoint being created: the models of its configuration.
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-creating", Status: "Creating", ConfigName: "cfg-creating"})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-creating",
		Variants: []cv{{ModelName: "m-creating"}, {ModelName: "m-new"}}})
	fake.PutModel(sagemakerfake.Model{Name: "m-creating", Image: host + "/creating:v1"})
	want = append(want, uses(ep("ep-creating"), host+"/creating:v1", host+"/new:v2")...)

	// An endpoint in service whose variant reports no image: its configuration's models; one
	// that hosts inference components has none.
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-unreported", ConfigName: "cfg-unreported",
		Variants: []v{{Name: "AllTraffic"}}})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-unreported", Variants: []cv{{ModelName: "m-unreported"}}})
	fake.PutModel(sagemakerfake.Model{Name: "m-unreported", Image: host + "/unreported@" + digestA})
	want = append(want, uses(ep("ep-unreported"), host+"/unreported@"+digestA)...)
	fake.PutEndpoint(sagemakerfake.Endpoint{Name: "ep-components", ConfigName: "cfg-components",
		Variants: []v{{Name: "AllTraffic"}}})
	fake.PutEndpointConfig(sagemakerfake.EndpointConfig{Name: "cfg-components", Variants: []cv{{}}})

	// Every other status: live ones count, the others do not.
	for status, live := range map[string]bool{"SystemUpdating": true, "RollingBack": true,
		"UpdateRollbackFailed": true, "OutOfService": false, "Deleting": false, "Failed": false} {
		name, image := "ep-"+status, host+"/status-"+status+"@"+digestA
		fake.PutEndpoint(sagemakerfake.Endpoint{Name: name, Status: status,
			Variants: []v{{Name: "AllTraffic", Images: []di{{ResolvedImage: image}}}}})
		if live {
			want = append(want, uses(ep(name), image)...)
		}
	}

	// Inference components.
	ic := func(name string) inuse.Use { return inuse.Use{Kind: inuse.KindInferenceComponent, Name: name} }
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-resolved", EndpointName: "ep-components",
		Container: &di{SpecifiedImage: host + "/ic:v1", ResolvedImage: host + "/ic@" + digestA}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-specified", EndpointName: "ep-components",
		Container: &di{SpecifiedImage: host + "/ic-spec:v1"}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-model", EndpointName: "ep-components", ModelName: "m-ic"})
	fake.PutModel(sagemakerfake.Model{Name: "m-ic", Image: host + "/ic-model:v1"})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-creating", EndpointName: "ep-components",
		Status: "Creating", Container: &di{ResolvedImage: host + "/ic-creating@" + digestB}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-failed", EndpointName: "ep-components",
		Status: "Failed", Container: &di{ResolvedImage: host + "/ic-failed@" + digestA}})
	fake.PutInferenceComponent(sagemakerfake.InferenceComponent{Name: "ic-deleting", EndpointName: "ep-components",
		Status: "Deleting", Container: &di{ResolvedImage: host + "/ic-deleting@" + digestA}})
	want = append(want, uses(ic("ic-resolved"), host+"/ic@"+digestA)...)
	want = append(want, uses(ic("ic-specified"), host+"/ic-spec:v1")...)
	want = append(want, uses(ic("ic-model"), host+"/ic-model:v1")...)
	want = append(want, uses(ic("ic-creating"), host+"/ic-creating@"+digestB)...)

	// Model packages: approved versions only, named by ARN; an image of another registry too.
	pkg := func(arn string) inuse.Use { return inuse.Use{Kind: inuse.KindModelPackage, Name: arn} }
	v1 := fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{host + "/pkg:v1", host + "/pkg@" + digestA}})
	fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: "Rejected", Images: []string{host + "/pkg:v2"}})
	fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Images: []string{host + "/pkg:v3"}})
	v4 := fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{host + "/pkg:v4"}})
	fake.PutModelPackageGroup("empty-group")
	fraud := fake.PutModelPackage("fraud", sagemakerfake.ModelPackage{Approval: "Approved",
		Images: []string{"763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1"}})
	want = append(want, uses(pkg(v1), host+"/pkg:v1", host+"/pkg@"+digestA)...)
	want = append(want, uses(pkg(v4), host+"/pkg:v4")...)
	want = append(want, uses(pkg(fraud), "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1")...)

	// Jobs in progress only.
	for _, status := range []string{"InProgress", "Completed", "Failed", "Stopping", "Stopped"} {
		fake.PutTrainingJob(sagemakerfake.TrainingJob{Name: "train-" + status, Status: status, Image: host + "/train:" + status})
		fake.PutProcessingJob(sagemakerfake.ProcessingJob{Name: "proc-" + status, Status: status, Image: host + "/proc:" + status})
	}
	want = append(want, uses(inuse.Use{Kind: inuse.KindTrainingJob, Name: "train-InProgress"}, host+"/train:InProgress")...)
	want = append(want, uses(inuse.Use{Kind: inuse.KindProcessingJob, Name: "proc-InProgress"}, host+"/proc:InProgress")...)

	// Image versions: created ones only.
	for _, status := range []string{"CREATED", "CREATE_FAILED", "DELETING", "CREATED"} {
		fake.PutImageVersion("studio", sagemakerfake.ImageVersion{Status: status, BaseImage: host + "/studio:" + status})
	}
	fake.PutImage("no-versions")
	want = append(want, uses(inuse.Use{Kind: inuse.KindImageVersion, Name: "studio/1"}, host+"/studio:CREATED")...)
	want = append(want, uses(inuse.Use{Kind: inuse.KindImageVersion, Name: "studio/4"}, host+"/studio:CREATED")...)

	slices.SortFunc(want, inuse.Reference.Compare)
	return want
}

func TestReadFindsEveryUse(t *testing.T) {
	fake, client, c := standIn(t)
	want := seed(fake)

	got, err := inuse.Read(context.Background(), client, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	calls := c.get()
	// cfg-new, cfg-old, cfg-creating, cfg-unreported, cfg-components: not cfg-live, nor any of
	// an endpoint that does not count.
	if got := calls["DescribeEndpointConfig"]; got != 5 {
		t.Errorf("DescribeEndpointConfig calls: got %d; want 5", got)
	}
	// No describe of what the listing already excludes.
	for op, want := range map[string]int{"DescribeEndpoint": 8, "DescribeModel": 7, "DescribeInferenceComponent": 4,
		"DescribeModelPackage": 3, "DescribeTrainingJob": 1, "DescribeProcessingJob": 1, "DescribeImageVersion": 2} {
		if calls[op] != want {
			t.Errorf("%s calls: got %d; want %d", op, calls[op], want)
		}
	}
}

func TestReadMemberAccountAndLimits(t *testing.T) {
	const member = "210987654321"
	fake, client, _ := standIn(t)
	want := seed(fake)
	for i := range want {
		want[i].Use.Account = member
	}
	slices.SortFunc(want, inuse.Reference.Compare)
	for _, limit := range []int{-1, 1, 3, 64} {
		got, err := inuse.ReadLimit(context.Background(), client, member, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
}

func TestReadEmpty(t *testing.T) {
	_, client, _ := standIn(t)
	got, err := inuse.Read(context.Background(), client, "")
	if err != nil || len(got) != 0 {
		t.Errorf("Read of an account using nothing: got %v, %v", got, err)
	}
}

// A read that stops goes on where it stopped: read in parts of at most a few describes each,
// the parts together find exactly what one read finds, every resource is described exactly
// once over all of them (only the listings are read again), and the last part says it is done.
func TestReadFromGoesOnWhereItStopped(t *testing.T) {
	fake, client, c := standIn(t)
	want := seed(fake)
	whole := c.get()
	if _, err := inuse.Read(context.Background(), client, ""); err != nil {
		t.Fatal(err)
	}
	whole = diffCalls(c.get(), whole)

	for _, per := range []int{1, 2, 5} {
		before := c.get()
		var got []inuse.Reference
		after, parts := "", 0
		for done := false; !done; parts++ {
			if parts > 100 {
				t.Fatalf("%d describes a part: no end after %d parts", per, parts)
			}
			started := 0
			// stop is asked before each describe is started: it lets per of them start.
			stop := func() bool { started++; return started > per }
			part, err := inuse.ReadFrom(context.Background(), client, "", after, 1, stop)
			if err != nil {
				t.Fatal(err)
			}
			if !part.Done && part.Next <= after {
				t.Fatalf("%d describes a part: part %d did not move on from %q (next %q)", per, parts+1, after, part.Next)
			}
			// Each reference's key is the place of the resource that named it: after the
			// cursor, and up to where the part stopped.
			for _, ref := range part.Refs {
				if k, ok := part.Keys[ref.Use]; !ok || k <= after || (!part.Done && k > part.Next) {
					t.Fatalf("%d describes a part: %s (key %q) read in a part from %q to %q", per, ref.Use.Name, k, after, part.Next)
				}
			}
			got = append(got, part.Refs...)
			after, done = part.Next, part.Done
		}
		slices.SortFunc(got, inuse.Reference.Compare)
		got = slices.Compact(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d describes a part, in %d parts (-want +got):\n%s", per, parts, diff)
		}
		calls := diffCalls(c.get(), before)
		for op, n := range whole {
			if strings.HasPrefix(op, "Describe") && calls[op] != n {
				t.Errorf("%d describes a part: %s called %d times; one read calls it %d", per, op, calls[op], n)
			}
		}
		if per == 1 && parts < 10 {
			t.Errorf("one describe a part took %d parts: the stop was not heeded", parts)
		}
		// A part whose cursor is past the endpoints does not list them again.
		if n := calls["ListEndpoints"]; n >= parts {
			t.Errorf("%d describes a part: ListEndpoints called %d times in %d parts; want only by the parts that read endpoints", per, n, parts)
		}
	}
}

// A read stopped before its first describe reports the cursor it was given, not done.
func TestReadFromStoppedAtOnce(t *testing.T) {
	fake, client, _ := standIn(t)
	seed(fake)
	part, err := inuse.ReadFrom(context.Background(), client, "", "1/", 2, func() bool { return true })
	if err != nil || part.Done || part.Next != "1/" || len(part.Refs) != 0 {
		t.Errorf("ReadFrom stopped at once: %+v, %v; want not done, next 1/, nothing read", part, err)
	}
}

// diffCalls is the calls counted in now that were not yet in before.
func diffCalls(now, before map[string]int) map[string]int {
	out := map[string]int{}
	for op, n := range now {
		if n -= before[op]; n > 0 {
			out[op] = n
		}
	}
	return out
}

// Model package groups whose names start with one another's (g, g-a, g0, ga), one in mixed
// case, with versions past 9: read one describe a part, the parts stop inside groups and go on
// where they stopped, and together they find exactly what one read finds, each version
// described once.
func TestReadFromGoesOnInsideGroups(t *testing.T) {
	fake, client, c := standIn(t)
	host := account + ".dkr.ecr." + region + ".amazonaws.com"
	for _, group := range []string{"g", "g-a", "g0", "ga", "Churn"} {
		fake.PutModelPackageGroup(group)
		for v := 1; v <= 11; v++ {
			fake.PutModelPackage(group, sagemakerfake.ModelPackage{Approval: "Approved", Images: []string{fmt.Sprintf("%s/%s:v%d", host, strings.ToLower(group), v)}})
		}
	}
	want, err := inuse.Read(context.Background(), client, "")
	if err != nil || len(want) != 55 {
		t.Fatalf("one read: %d references, %v; want 55", len(want), err)
	}
	before := c.get()["DescribeModelPackage"]
	var got []inuse.Reference
	after, parts := "", 0
	for done := false; !done; parts++ {
		if parts > 200 {
			t.Fatal("no end after 200 parts")
		}
		started := 0
		part, err := inuse.ReadFrom(context.Background(), client, "", after, 1, func() bool { started++; return started > 1 })
		if err != nil {
			t.Fatal(err)
		}
		if !part.Done && part.Next <= after {
			t.Fatalf("part %d did not move on from %q", parts+1, after)
		}
		got = append(got, part.Refs...)
		after, done = part.Next, part.Done
	}
	slices.SortFunc(got, inuse.Reference.Compare)
	if diff := cmp.Diff(want, slices.Compact(got)); diff != "" {
		t.Errorf("in %d parts (-one read +parts):\n%s", parts, diff)
	}
	if n := c.get()["DescribeModelPackage"] - before; n != 55 {
		t.Errorf("DescribeModelPackage called %d times over the parts; want each of the 55 versions once", n)
	}
}

// Once stop says so, a read lists no more groups: 50 model package groups without an approved
// version cost one ListModelPackages, not 50, when the read is to stop at once.
func TestReadFromListsNoMoreGroupsOnceStopped(t *testing.T) {
	fake, client, c := standIn(t)
	for i := range 50 {
		fake.PutModelPackageGroup(fmt.Sprintf("group-%02d", i))
	}
	part, err := inuse.ReadFrom(context.Background(), client, "", "", 1, func() bool { return true })
	if err != nil || part.Done {
		t.Fatalf("ReadFrom stopped at once: %+v, %v; want not done", part, err)
	}
	if n := c.get()["ListModelPackages"]; n > 1 {
		t.Errorf("ListModelPackages called %d times by a read told to stop; want at most 1", n)
	}
}

// ReadOne of a model package version (as its record names it) reads its images only while it
// is approved: a rejected or pending version uses nothing.
func TestReadOneModelPackage(t *testing.T) {
	fake, client, _ := standIn(t)
	host := account + ".dkr.ecr." + region + ".amazonaws.com"
	fake.PutModelPackageGroup("churn")
	for _, tc := range []struct {
		approval string
		want     int
	}{{"Approved", 1}, {"Rejected", 0}, {"PendingManualApproval", 0}} {
		arn := fake.PutModelPackage("churn", sagemakerfake.ModelPackage{Approval: tc.approval, Images: []string{host + "/churn:" + tc.approval}})
		got, err := inuse.ReadOne(context.Background(), client, "", inuse.KindModelPackage, arn)
		if err != nil || len(got) != tc.want {
			t.Errorf("ReadOne of a %s version: %v, %v; want %d references", tc.approval, got, err, tc.want)
		}
	}
}

package testenv

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sagemakerfake"
)

// World is one test's AWS: a freshly reset moto, a SageMaker stand-in, and two sets of clients.
// The product's clients go through Rec, so a test can assert on exactly what the product sent;
// the setup clients do not, so arranging the world does not pollute that record. Every request
// of the product is also checked against the safety invariants (see invariants.go); a test
// that breaks one fails, whatever it asserts itself.
type World struct {
	Moto *Moto
	Rec  *Recorder
	// SageMakerURL is the stand-in's endpoint; SageMaker holds its projects.
	SageMakerURL string
	SageMaker    *sagemakerfake.Server

	// The product's clients, recorded.
	ECR         *ecr.Client
	SSM         *ssm.Client
	EventBridge *eventbridge.Client
	Projects    *sagemaker.Client

	// Setup clients, not recorded.
	SetupECR *ecr.Client
	SetupSSM *ssm.Client
	SetupSQS *sqs.Client
	SetupEB  *eventbridge.Client

	inv *invariants
}

// NewWorld resets moto and returns a World on it.
func NewWorld(t testing.TB, m *Moto) *World {
	t.Helper()
	if err := m.Reset(); err != nil {
		t.Fatal(err)
	}
	fake := sagemakerfake.New(Region, Account)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	inv := newInvariants()
	rec := &Recorder{Check: inv.check}
	t.Cleanup(func() { inv.report(t) })
	product := Config(m.URL, rec)
	setup := Config(m.URL, &Recorder{})
	sm := func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(srv.URL) }
	return &World{
		Moto: m, Rec: rec, SageMakerURL: srv.URL, SageMaker: fake,
		ECR:         ecr.NewFromConfig(product),
		SSM:         ssm.NewFromConfig(product),
		EventBridge: eventbridge.NewFromConfig(product),
		Projects:    sagemaker.NewFromConfig(product, sm),
		SetupECR:    ecr.NewFromConfig(setup),
		SetupSSM:    ssm.NewFromConfig(setup),
		SetupSQS:    sqs.NewFromConfig(setup),
		SetupEB:     eventbridge.NewFromConfig(setup),
		inv:         inv,
	}
}

// PutConfig writes configuration parameters under path (names relative to it).
func (w *World) PutConfig(t testing.TB, path string, values map[string]string) {
	t.Helper()
	w.inv.configure(path, values)
	for name, v := range values {
		_, err := w.SetupSSM.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(path + "/" + name), Value: aws.String(v),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
		})
		if err != nil {
			t.Fatalf("put parameter %s: %v", name, err)
		}
	}
}

// Event is one event the product published, as an SQS target received it.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Sink collects the product's events through an EventBridge rule with an SQS target, the
// target moto delivers to.
type Sink struct {
	w   *World
	url string
}

// CaptureEvents routes every event with the given source (and, when named, only those detail
// types) on the default bus to a new queue. moto delivers to SQS inside PutEvents at roughly a
// tenth of a second an event, so a test with thousands of events routes only those it reads.
func (w *World) CaptureEvents(t testing.TB, source string, detailTypes ...string) *Sink {
	t.Helper()
	ctx := context.Background()
	q, err := w.SetupSQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("product-events")})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sqs:" + Region + ":" + Account + ":product-events"
	match := map[string][]string{"source": {source}}
	if len(detailTypes) > 0 {
		match["detail-type"] = detailTypes
	}
	pattern, _ := json.Marshal(match)
	if _, err := w.SetupEB.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("product-events"), EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SetupEB.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("product-events"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn)}}}); err != nil {
		t.Fatal(err)
	}
	return &Sink{w: w, url: aws.ToString(q.QueueUrl)}
}

// Drain returns, and removes, every event received so far.
func (s *Sink) Drain(t testing.TB) []Event {
	t.Helper()
	var out []Event
	for {
		msgs, err := s.w.SetupSQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs.Messages) == 0 {
			return out
		}
		for _, m := range msgs.Messages {
			var ev Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("event body %q: %v", aws.ToString(m.Body), err)
			}
			out = append(out, ev)
			_, _ = s.w.SetupSQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(s.url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// ByType counts events by detail-type.
func ByType(events []Event) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		out[e.DetailType]++
	}
	return out
}

// Repositories lists every repository name in moto.
func (w *World) Repositories(t testing.TB) []string {
	t.Helper()
	var names []string
	pages := ecr.NewDescribeRepositoriesPaginator(w.SetupECR, &ecr.DescribeRepositoriesInput{})
	for pages.HasMorePages() {
		p, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	return names
}

// Deadline is a context for one test step.
func Deadline(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Route sends the product's ECR, SSM and EventBridge clients through endpoint (a fault proxy in
// front of moto, say) with the given retryer, still recorded and still checked. SageMaker calls
// keep going to the stand-in.
func (w *World) Route(endpoint string, retryer func() aws.Retryer) {
	cfg := Config(endpoint, w.Rec)
	cfg.RetryMaxAttempts = 0 // the retryer decides
	cfg.Retryer = retryer
	w.ECR = ecr.NewFromConfig(cfg)
	w.SSM = ssm.NewFromConfig(cfg)
	w.EventBridge = eventbridge.NewFromConfig(cfg)
}

package account

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// EventsQueue names the queue, and the rule that routes the product's events to it.
const EventsQueue = "sagemaker-ecr-provisioner-events"

// Event is one event the product published, as the SQS target received it.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// EventQueue is an SQS queue behind an EventBridge rule that matches the product's events:
// moto delivers events to SQS targets (not to Lambda ones), so this is how to read back what
// the product published.
type EventQueue struct {
	// URL is the queue's URL.
	URL string
	sqs *sqs.Client
}

// RouteEvents creates the queue and a rule on the default bus that sends it every event with
// the product's source (publish.Source) and, when any are named, one of the detail types. moto
// delivers to SQS inside PutEvents at roughly a tenth of a second an event, so a test with
// thousands of events routes only those it reads.
func (a *Account) RouteEvents(ctx context.Context, detailTypes ...string) (*EventQueue, error) {
	q, err := a.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(EventsQueue)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", EventsQueue, err)
	}
	match := map[string][]string{"source": {publish.Source}}
	if len(detailTypes) > 0 {
		match["detail-type"] = detailTypes
	}
	pattern, _ := json.Marshal(match)
	if _, err := a.EventBridge.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(EventsQueue), EventBusName: aws.String(EventBus), EventPattern: aws.String(string(pattern)),
	}); err != nil {
		return nil, fmt.Errorf("put rule %s: %w", EventsQueue, err)
	}
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, ID, EventsQueue)
	if _, err := a.EventBridge.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(EventsQueue), EventBusName: aws.String(EventBus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn)}},
	}); err != nil {
		return nil, fmt.Errorf("put target on rule %s: %w", EventsQueue, err)
	}
	return &EventQueue{URL: aws.ToString(q.QueueUrl), sqs: a.SQS}, nil
}

// Drain returns, and deletes, every event in the queue. moto delivers during PutEvents, so
// once an invocation has returned its events are there.
func (q *EventQueue) Drain(ctx context.Context) ([]Event, error) {
	var out []Event
	for {
		msgs, err := q.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			return out, fmt.Errorf("receive events: %w", err)
		}
		if len(msgs.Messages) == 0 {
			return out, nil
		}
		for _, m := range msgs.Messages {
			var ev Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				return out, fmt.Errorf("event body %q: %w", aws.ToString(m.Body), err)
			}
			out = append(out, ev)
			if _, err := q.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return out, fmt.Errorf("delete event: %w", err)
			}
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

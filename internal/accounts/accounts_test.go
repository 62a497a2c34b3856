package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
)

// fakeSTS answers AssumeRole, failing for the roles in deny, and counts the calls by role. The
// credentials cache may call it from a goroutine of its own.
type fakeSTS struct {
	mu    sync.Mutex
	deny  map[string]bool
	calls map[string]int
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	role := aws.ToString(in.RoleArn)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[role]++
	if aws.ToInt32(in.DurationSeconds) != 1800 {
		return nil, errors.New("want a 30-minute session")
	}
	if f.deny[role] {
		return nil, errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIA" + role[13:25]),
		SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

// client is a SageMaker client that remembers the credentials it was built with.
type client struct {
	*sagemaker.Client
	creds aws.CredentialsProvider
}

func directory(f *fakeSTS) *accounts.Directory {
	home := client{}
	return &accounts.Directory{
		Home: "111122223333", HomeSageMaker: home, Partition: "aws-cn", STS: f, AWS: aws.Config{Region: "cn-north-1"},
		NewSageMaker: func(cfg aws.Config) accounts.SageMaker { return client{creds: cfg.Credentials} },
		SessionName:  "test",
	}
}

func TestSessionServesThisAccountAndTheMembers(t *testing.T) {
	f := &fakeSTS{deny: map[string]bool{}, calls: map[string]int{}}
	s := directory(f).Session(config.Config{MemberAccounts: []string{"222233334444", "333344445555"}, MemberRoleName: "reader"})
	for account, served := range map[string]bool{"111122223333": true, "222233334444": true, "333344445555": true, "444455556666": false} {
		err := s.Serve(account)
		var notServed *accounts.NotServedError
		if served != (err == nil) || (!served && (!errors.As(err, &notServed) || !strings.Contains(err.Error(), "member-accounts"))) {
			t.Errorf("Serve(%s): %v; want served %v", account, err, served)
		}
	}
	if got := s.Accounts(); len(got) != 3 || got[0] != "111122223333" {
		t.Errorf("Accounts: %v; want this account first, then the members", got)
	}
	if got := s.ProjectAccount("111122223333") + "|" + s.ProjectAccount("222233334444"); got != "|222233334444" {
		t.Errorf("ProjectAccount: %q; want empty for this account, the id for a member", got)
	}
	if got := s.RoleARN("222233334444"); got != "arn:aws-cn:iam::222233334444:role/reader" {
		t.Errorf("RoleARN: %q", got)
	}
}

// A member's role is assumed once a session, whether it succeeds or not; this account's client
// needs no role; an account that is not served gets no client and no call.
func TestSessionAssumesEachMemberRoleOnce(t *testing.T) {
	const ok, denied = "arn:aws-cn:iam::222233334444:role/reader", "arn:aws-cn:iam::333344445555:role/reader"
	f := &fakeSTS{deny: map[string]bool{denied: true}, calls: map[string]int{}}
	d := directory(f)
	s := d.Session(config.Config{MemberAccounts: []string{"222233334444", "333344445555"}, MemberRoleName: "reader"})
	ctx := context.Background()

	if api, err := s.SageMaker(ctx, "111122223333"); err != nil || api != d.HomeSageMaker {
		t.Errorf("this account: %v, %v; want its own client", api, err)
	}
	for range 3 {
		api, err := s.SageMaker(ctx, "222233334444")
		if err != nil || api.(client).creds == nil {
			t.Fatalf("member: %v, %v; want a client with the assumed credentials", api, err)
		}
		_, err = s.SageMaker(ctx, "333344445555")
		var unreachable *accounts.UnreachableError
		if !errors.As(err, &unreachable) || unreachable.Account != "333344445555" || !strings.Contains(err.Error(), denied) {
			t.Errorf("denied member: %v; want an UnreachableError naming the role", err)
		}
	}
	if _, err := s.SageMaker(ctx, "444455556666"); err == nil {
		t.Error("an account that is not served got a client")
	}
	if f.calls[ok] != 1 || f.calls[denied] != 1 || len(f.calls) != 2 {
		t.Errorf("AssumeRole calls %v; want one a member", f.calls)
	}
	// A new invocation's session assumes the roles again.
	if _, err := d.Session(config.Config{MemberAccounts: []string{"222233334444"}, MemberRoleName: "reader"}).SageMaker(ctx, "222233334444"); err != nil || f.calls[ok] != 2 {
		t.Errorf("a new session: %v, calls %v; want the role assumed again", err, f.calls)
	}
}

// A try cut off by the end of its context is not kept as the account's answer.
func TestSessionDoesNotKeepACutOffTry(t *testing.T) {
	f := &fakeSTS{deny: map[string]bool{}, calls: map[string]int{}}
	s := directory(f).Session(config.Config{MemberAccounts: []string{"222233334444"}, MemberRoleName: "reader"})
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.SageMaker(ended, "222233334444"); err == nil {
		t.Fatal("a try with its context ended succeeded")
	}
	if _, err := s.SageMaker(context.Background(), "222233334444"); err != nil {
		t.Errorf("the next try: %v; want the role assumed", err)
	}
}

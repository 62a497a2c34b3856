package sagemakerfake

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// MotoAccounts tells accounts apart as moto_server does: it asks moto's STS
// (GetCallerIdentity, signed with the access key id) whose the key is. The keys moto hands out
// for an AssumeRole act in the role's account; the tests' static keys in moto's default one.
// Answers are cached by key. moto checks no secret, so none is needed.
func MotoAccounts(motoURL string) func(accessKeyID string) (string, error) {
	var mu sync.Mutex
	known := map[string]string{}
	return func(key string) (string, error) {
		mu.Lock()
		account, ok := known[key]
		mu.Unlock()
		if ok {
			return account, nil
		}
		client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(motoURL),
			Credentials: credentials.NewStaticCredentialsProvider(key, "unchecked", "")})
		out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", fmt.Errorf("moto GetCallerIdentity for %s: %w", key, err)
		}
		account = aws.ToString(out.Account)
		mu.Lock()
		known[key] = account
		mu.Unlock()
		return account, nil
	}
}

package drift_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	var err error
	if moto, err = testenv.StartMoto(); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need moto_server:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

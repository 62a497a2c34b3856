package faultproxy_test

import (
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) { testenv.Main(m, &moto) }

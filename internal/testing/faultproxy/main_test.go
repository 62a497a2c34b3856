//go:build integration

package faultproxy_test

import (
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

var server *moto.Server

func TestMain(m *testing.M) { world.Main(m, &server) }

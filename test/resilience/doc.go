// Package resilience holds the tests that put the product under faults: throttling, HTTP 500,
// dropped connections and a repository that always fails, injected by a proxy between the real
// SDK and moto. They prove that the product keeps working, loses nothing, tells the truth about
// what it could not do, and converges on the next run.
package resilience

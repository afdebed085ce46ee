// Command minimal is the smallest FC3 HTTP function: fc.Start with a
// handler that answers 200. pkg/devtools/perf/coldstart times the broker's cold
// start against it.
package main

import (
	"context"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func main() {
	fc.Start(func(context.Context, events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		return &events.HTTPTriggerResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: "ok"}, nil
	})
}

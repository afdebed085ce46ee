// Command floor is the smallest function that takes an HTTP trigger event:
// fc.Start with a handler that receives the event's raw bytes (the SDK
// decodes nothing for a []byte argument) and answers 200 without reading
// them. pkg/devtools/perf/peakrss measures its peak RSS next to the broker's: what
// the SDK's invoke loop costs before any handler runs.
package main

import (
	"context"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func main() {
	fc.Start(func(context.Context, []byte) (*events.HTTPTriggerResponse, error) {
		return &events.HTTPTriggerResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: "ok"}, nil
	})
}

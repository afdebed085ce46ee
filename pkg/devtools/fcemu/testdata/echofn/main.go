// Command echofn is the function fcemu's tests run under the real
// fc-runtime-go-sdk invoke loop: fchttp around the echo handler.
package main

import (
	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu/internal/echo"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

func main() {
	fc.Start(fchttp.Handler(echo.Handler))
}

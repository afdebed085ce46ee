package config_test

import (
	"fmt"

	"github.com/ossbroker/ossbroker/pkg/config"
)

// Load reads every variable through the getenv it is given (os.Getenv in the function; a map here).
func ExampleLoad() {
	env := map[string]string{
		"OSS_BUCKET":       "examplebucket",
		"OSS_REGION":       "cn-shanghai",
		"UPLOAD_PREFIX":    "exampledir/{sub}/",
		"JWT_HS256_SECRET": "0123456789abcdef0123456789abcdef",
		"PRESIGN_TTL":      "10m",
	}
	cfg, err := config.Load(func(name string) string { return env[name] })
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Bucket, cfg.Endpoint, cfg.Prefix.Template(), cfg.PresignTTL, cfg.PresignMaxTTL, cfg.MaxDirectUploadBytes)
	fmt.Println("warnings:", len(cfg.Warnings))

	// Every bad value is reported at once, each naming its variable.
	env["PRESIGN_TTL"] = "2h"
	env["UPLOAD_PREFIX"] = "exampledir"
	_, err = config.Load(func(name string) string { return env[name] })
	fmt.Println(err)
	// Output:
	// examplebucket https://oss-cn-shanghai.aliyuncs.com exampledir/{sub}/ 10m0s 1h0m0s 5242880
	// warnings: 0
	// configuration: UPLOAD_PREFIX: objectkey: prefix template "exampledir" must end in "/"
	// PRESIGN_TTL: 2h0m0s is over PRESIGN_MAX_TTL (1h0m0s)
}

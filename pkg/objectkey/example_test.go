package objectkey_test

import (
	"fmt"
	"regexp"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
)

type principal map[string]string

func (p principal) Claim(name string) (string, bool) { v, ok := p[name]; return v, ok }

func ExamplePolicy_Resolve() {
	p, err := objectkey.NewPolicy("exampledir/{sub}/")
	if err != nil {
		panic(err)
	}
	alice := principal{"sub": "alice"}

	key, err := p.Resolve("exampledir/alice/photo.png", alice, "image/png")
	fmt.Println(key, err)

	_, err = p.Resolve("exampledir/bob/photo.png", alice, "image/png")
	fmt.Println(err)

	_, err = p.Resolve("exampledir/alice/../bob/photo.png", alice, "image/png")
	fmt.Println(err)

	// A folder gets a generated, unique name (random, so only its shape is shown).
	key, _ = p.Resolve("exampledir/alice/", alice, "image/jpeg; charset=binary")
	fmt.Println(regexp.MustCompile(`^exampledir/alice/[a-z2-7]{26}\.jpg$`).MatchString(key))

	fmt.Println(p.Pattern())
	// Output:
	// exampledir/alice/photo.png <nil>
	// key outside the allowed prefix: the key must start with "exampledir/*/"
	// invalid object key: ".." segment at byte 17
	// true
	// exampledir/*/
}

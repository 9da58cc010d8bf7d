package edge

import (
	"fmt"

	"golang.org/x/crypto/ocsp"
)

// errStatus is a responder's HTTP answer other than 200.
type errStatus int

func (e errStatus) Error() string { return fmt.Sprintf("the responder answered HTTP %d", int(e)) }

// errNotGood is a verified response whose status is not good.
type errNotGood int

func (e errNotGood) Error() string {
	switch int(e) {
	case ocsp.Revoked:
		return "the certificate is revoked"
	case ocsp.Unknown:
		return "the responder does not know the certificate"
	}
	return fmt.Sprintf("OCSP status %d", int(e))
}

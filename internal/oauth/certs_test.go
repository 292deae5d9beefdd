package oauth_test

import (
	"crypto/x509"
	"net/http/httptest"
)

func poolOf(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

package web_test

import (
	"testing"

	"github.com/taskbridge/taskbridge/dev/testdb"
)

var tdb *testdb.Database

func TestMain(m *testing.M) { testdb.Main(m, &tdb) }

//go:build tools

package main
import (
 _ "github.com/valyala/fasthttp"
 _ "github.com/fasthttp/websocket"
 _ "github.com/dgraph-io/ristretto/v2"
 _ "github.com/redis/rueidis"
 _ "github.com/goccy/go-yaml"
 _ "go.uber.org/goleak"
)


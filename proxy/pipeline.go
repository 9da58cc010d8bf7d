package proxy

import (
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// pipelineFor returns b's pipelined transport when the plan pipelines and
// req may be pipelined; nil sends req over the keep-alive pool. The plan's
// flag is read first, so a rule without pipelining pays one branch.
func (p *plan) pipelineFor(b *lb.Backend, req *fasthttp.Request) *upstream.PipeTransport {
	if !p.pipeline || !upstream.Pipelinable(req) {
		return nil
	}
	pt, _ := b.Pipeline().(*upstream.PipeTransport)
	return pt
}

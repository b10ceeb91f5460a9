package api

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/sync"
)

// connectorStates summarizes the health board for /readyz: per instance,
// the worst state any worker process reports ("up", "pending", or "down
// since … after n failed attempts"). Vendor error texts stay out: /readyz
// needs no token, and `shophub status` shows them to operators.
func connectorStates(ctx context.Context, rdb redis.UniversalClient) map[string]string {
	board, err := sync.ReadHealth(ctx, rdb)
	if err != nil || len(board) == 0 {
		return nil
	}
	rank := map[string]int{sync.StateUp: 0, sync.StatePending: 1, sync.StateDown: 2}
	worst := map[string]sync.ProcessHealth{}
	for _, h := range board {
		if w, ok := worst[h.Instance]; !ok || rank[h.State] > rank[w.State] {
			worst[h.Instance] = h
		}
	}
	out := make(map[string]string, len(worst))
	for name, h := range worst {
		out[name] = h.State
		if h.State == sync.StateDown {
			out[name] = fmt.Sprintf("down since %s after %d failed attempts", h.Since.UTC().Format(time.RFC3339), h.Failures)
		}
	}
	return out
}

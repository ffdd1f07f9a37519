//go:build integration

package itest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/lab/demo"
	"github.com/casework/casework/notify"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/store"
)

// stack is what the tests share: the database, the Temporal client and the worker.
var stack struct {
	ready    bool
	db       *pgxpool.Pool // the tests' own connections, as the runtime role (DATABASE_URL)
	owner    *pgxpool.Pool // the owner's (MIGRATION_DATABASE_URL, else DATABASE_URL): migrations and seeds
	workerDB *pgxpool.Pool // the worker's, named so a test can cut them
	tc       client.Client
	sent     *countingNotifier
	lost     *lostResults // loses first results of chosen cases' activities
	lostWFT  *lostTasks   // loses chosen cases' workflow tasks after their records' write
	run      string       // this run's prefix for account ids
	traces   *collector   // the spans the suite's programs exported (OTLP)

	stopWorker  func()
	metrics     *platform.Metrics
	metricsAddr string
}

// workerApp names the worker's PostgreSQL connections.
const workerApp = "casework-itest-worker"

// countingNotifier counts the messages each key sends, to prove exactly-once.
type countingNotifier struct {
	n    atomic.Int64
	keys chan string
	mu   sync.Mutex
	per  map[string]int
}

func (c *countingNotifier) Send(_ context.Context, m notify.Message) error {
	c.n.Add(1)
	c.mu.Lock()
	if c.per == nil {
		c.per = map[string]int{}
	}
	c.per[m.Key]++
	c.mu.Unlock()
	select {
	case c.keys <- m.Key:
	default:
	}
	return nil
}

// times is how often the message of key was handed to the channel.
func (c *countingNotifier) times(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.per[key]
}

func TestMain(m *testing.M) {
	code := func() int {
		stopTracing, err := startTracing(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "itest: tracing:", err)
			return 1
		}
		defer stopTracing()
		if err := setUp(); err != nil {
			fmt.Fprintln(os.Stderr, "itest: the integration tests need the stack (make test starts it):", err)
			return 1
		}
		defer tearDown()
		return m.Run()
	}()
	os.Exit(code)
}

func setUp() error {
	url := os.Getenv("DATABASE_URL")
	if url == "" || os.Getenv("TEMPORAL_ADDRESS") == "" {
		return fmt.Errorf("DATABASE_URL and TEMPORAL_ADDRESS are not set (run `make test`, or source .dev/test-env)")
	}
	ctx := context.Background()
	var err error
	ownerURL := os.Getenv("MIGRATION_DATABASE_URL")
	if ownerURL == "" {
		ownerURL = url
	}
	if stack.owner, err = store.Open(ctx, ownerURL); err != nil {
		return fmt.Errorf("the owner's connection (MIGRATION_DATABASE_URL): %w", err)
	}
	if _, err := migrate(ctx); err != nil {
		return err
	}
	if _, err := demo.SeedAgents(ctx, stack.owner); err != nil {
		return err
	}
	if stack.db, err = store.Open(ctx, url); err != nil {
		return err
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	if stack.workerDB, err = store.Open(ctx, url+sep+"application_name="+workerApp); err != nil {
		return err
	}
	logger := zap.NewNop()
	stack.metrics = platform.NewMetrics()
	if stack.metricsAddr, err = stack.metrics.Serve("127.0.0.1:0"); err != nil {
		return err
	}
	if stack.tc, err = platform.DialTemporalWithMetrics(logger, stack.metrics.Handler); err != nil {
		return err
	}
	stack.sent = &countingNotifier{keys: make(chan string, 1000)}
	stack.lost = &lostResults{}
	stack.lostWFT = &lostTasks{}
	policy, err := platform.DeploymentPolicy() // the test env's: a simulation
	if err != nil {
		return err
	}
	w := platform.NewCaseWorker(stack.tc, &activities.Activities{DB: stack.workerDB, Notifier: stack.sent, Policy: policy},
		worker.Options{Interceptors: []interceptor.WorkerInterceptor{stack.lost, stack.lostWFT}})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	stack.stopWorker = w.Stop
	stack.run = fmt.Sprintf("IT%d", time.Now().UnixNano()%1e10)
	stack.ready = true
	return nil
}

func tearDown() {
	if stack.stopWorker != nil {
		stack.stopWorker()
	}
	if stack.tc != nil {
		stack.tc.Close()
	}
	if stack.metrics != nil {
		_ = stack.metrics.Close()
	}
	for _, p := range []*pgxpool.Pool{stack.db, stack.workerDB, stack.owner} {
		if p != nil {
			p.Close()
		}
	}
}

// need marks a test that talks to the stack (TestMain fails the run without it).
func need(t *testing.T) {
	t.Helper()
	if !stack.ready {
		t.Fatal("the stack is not ready")
	}
}

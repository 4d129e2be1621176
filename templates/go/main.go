// Command {{name}} is a small HTTP service: GET / answers a JSON greeting, GET /healthz answers
// {"status":"ok"}. It listens on :$PORT (default {{port}}), logs JSON lines on stdout, and on SIGTERM
// stops accepting, lets in-flight requests finish (up to shutdownTimeout) and exits 0.
package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	serviceName = "{{name}}"
	defaultPort = "{{port}}"
	// Cloud Run, Knative and `sls-run dev` send SIGKILL 10 s after SIGTERM.
	shutdownTimeout = 8 * time.Second
)

func main() {
	logger := newLogger(os.Stdout)
	slog.SetDefault(logger)
	if err := run(logger); err != nil {
		logger.Error("server failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	port := os.Getenv("PORT")
	if port == "" {
		port = defaultPort
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	return serve(ctx, ln, newHandler(logger), logger)
}

// serve answers on ln until ctx is done, then shuts down: the listener closes at once and requests in
// flight get up to shutdownTimeout to finish.
func serve(ctx context.Context, ln net.Listener, handler http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("grace period over, requests cut off", "error", err.Error())
		_ = srv.Close()
	}
	logger.Info("stopped")
	return nil
}

type greeting struct {
	Message  string `json:"message"`
	Service  string `json:"service"`
	Revision string `json:"revision,omitempty"`
}

func newHandler(logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	// "GET" also matches HEAD; other methods get 405, other paths 404.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// K_SERVICE and K_REVISION are set by Cloud Run, Knative and `sls-run dev`.
		service := os.Getenv("K_SERVICE")
		if service == "" {
			service = serviceName
		}
		writeJSON(w, http.StatusOK, greeting{
			Message:  "Hello from " + serviceName + "!",
			Service:  service,
			Revision: os.Getenv("K_REVISION"),
		})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return logRequests(logger, mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// logRequests logs one line per request; health checks only at LOG_LEVEL=debug.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" {
			level = slog.LevelDebug
		}
		logger.LogAttrs(r.Context(), level, r.Method+" "+r.URL.Path,
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// newLogger writes one JSON object per line with the key names Cloud Logging reads (time, severity,
// message). LOG_LEVEL (debug, info, warn, error) sets the level; the default is info.
func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				a.Key = "severity"
				if a.Value.Any() == slog.LevelWarn {
					a.Value = slog.StringValue("WARNING")
				}
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		},
	}))
}

// Command fanout is the load client of the subscription fan-out benchmark
// (bench/subscriptions.py): it holds one graphql-transport-ws connection per token,
// each subscribed to the same operation, and records for every `next` message the delay
// from the event's own timestamp (set in the committing transaction) to receipt.
//
// A compiled client: the Python one spent about 0.11 ms of CPU per delivered message on
// the same two cores as the system under test, a third of the budget.
//
// Protocol with its caller: it prints "READY <n>" once n subscriptions are acknowledged,
// runs until its standard input closes, then prints one JSON line
// {"latencies_ms": [...], "errors": n} and exits.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type nextPayload struct {
	Data map[string]struct {
		Timestamp string `json:"timestamp"`
	} `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

type recorder struct {
	mu        sync.Mutex
	latencies []float64
	errors    atomic.Int64
}

func (r *recorder) add(ms float64) {
	r.mu.Lock()
	r.latencies = append(r.latencies, ms)
	r.mu.Unlock()
}

func subscribe(url, token, query string, variables json.RawMessage, ready *sync.WaitGroup,
	rec *recorder, stop <-chan struct{}) {
	dialer := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"},
		HandshakeTimeout: 60 * time.Second}
	conn, _, err := dialer.Dial(url, http.Header{})
	if err != nil {
		rec.errors.Add(1)
		ready.Done()
		return
	}
	defer conn.Close()
	init, _ := json.Marshal(map[string]any{"type": "connection_init",
		"payload": map[string]string{"authorization": "Bearer " + token}})
	sub, _ := json.Marshal(map[string]any{"id": "1", "type": "subscribe",
		"payload": map[string]any{"query": query, "variables": variables}})
	if conn.WriteMessage(websocket.TextMessage, init) != nil {
		rec.errors.Add(1)
		ready.Done()
		return
	}
	acknowledged := false
	go func() { <-stop; conn.Close() }()
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			if !acknowledged {
				rec.errors.Add(1)
				ready.Done()
			}
			return
		}
		received := time.Now()
		var msg message
		if json.Unmarshal(raw, &msg) != nil {
			continue
		}
		switch msg.Type {
		case "connection_ack":
			if conn.WriteMessage(websocket.TextMessage, sub) == nil {
				acknowledged = true
				ready.Done()
			}
		case "ping":
			conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
		case "next":
			var payload nextPayload
			if json.Unmarshal(msg.Payload, &payload) != nil || len(payload.Errors) > 0 {
				rec.errors.Add(1)
				continue
			}
			for _, field := range payload.Data {
				sent, err := time.Parse(time.RFC3339Nano, field.Timestamp)
				if err != nil {
					rec.errors.Add(1)
					continue
				}
				rec.add(float64(received.Sub(sent).Microseconds()) / 1000)
			}
		case "error", "complete":
			rec.errors.Add(1)
		}
	}
}

func main() {
	url := flag.String("url", "", "the router's WebSocket URL")
	tokens := flag.String("tokens", "", "a file with one bearer token per line (one connection each)")
	query := flag.String("query", "", "the subscription document")
	variables := flag.String("variables", "{}", "its variables, JSON")
	flag.Parse()

	file, err := os.Open(*tokens)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var list []string
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		if line := scanner.Text(); line != "" {
			list = append(list, line)
		}
	}
	file.Close()

	rec := &recorder{}
	stop := make(chan struct{})
	var ready sync.WaitGroup
	var done sync.WaitGroup
	for i, token := range list {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			subscribe(*url, token, *query, json.RawMessage(*variables), &ready, rec, stop)
		}()
		if i%50 == 49 {
			time.Sleep(50 * time.Millisecond) // do not stampede the router's accept queue
		}
	}
	ready.Wait()
	fmt.Printf("READY %d\n", len(list)-int(rec.errors.Load()))
	os.Stdout.Sync()

	bufio.NewReader(os.Stdin).ReadString(0) // until the caller closes stdin
	close(stop)
	done.Wait()
	out, _ := json.Marshal(map[string]any{"latencies_ms": rec.latencies, "errors": rec.errors.Load()})
	fmt.Println(string(out))
}

// Command geth-reference times go-ethereum v1.8.27's own functions for the hot paths Hush
// benchmarks, so that `pnpm bench --geth PATH` can put geth's figure beside Hush's, measured
// in the same run on the same pinned core. See README.md for what each case calls.
//
//	geth-reference list              the cases, one a line: name, unit, what is timed
//	geth-reference <case> <ms>       set up, warm up, time the case for <ms> milliseconds,
//	                                 print one JSON line {case, ops, seconds, rate, unit, ...}
//	geth-reference whisper-node      a live node: geth's p2p.Server with whisperv6 on
//	                                 127.0.0.1:<free port>; prints one JSON line with its enode
//	                                 URL, then answers stdin lines (count, envelopes, peers)
//	                                 until stdin ends (see whisperNode)
//
// It is built in GOPATH mode against the go-ethereum v1.8.27 tree (and its vendor/ folder).
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	whisper "github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// An op performs some work and returns how many operations (hashes, envelopes, messages) it
// performed.
type op func() int

type benchCase struct {
	name  string
	unit  string
	about string
	setup func() op
}

var cases = []benchCase{
	{"seal-hashrate", "H/s",
		"(*Envelope).Seal to a 16-bit target (300-byte data, TTL 50) on fresh envelopes; hashes = final Nonce + 1",
		sealHashrate},
	{"keccak256-64", "H/s",
		"crypto.Keccak256 of a 64-byte buffer (the Seal loop's buffer, nonce in the last 8 bytes)",
		keccak64},
	{"decode-single", "env/s",
		"rlp.DecodeBytes into a new Envelope (DecodeRLP hashes the raw bytes), env.Hash(), env.PoW(); 300-byte data",
		decodeSingle},
	{"decode-packet-64", "env/s",
		"rlp.DecodeBytes of a 64-envelope messages packet into []*Envelope, then Hash() and PoW() of each",
		decodePacket(64)},
	{"decode-packet-128", "env/s",
		"the same for a 128-envelope packet (the packet size of the gossip ingest bench)",
		decodePacket(128)},
	{"open-sym-unsigned", "msg/s",
		"env.Open(&Filter{KeySym}) on a fresh Envelope (OpenSymmetric, Keccak256Hash(key), ValidateAndParse, PoW, Hash); 300-byte payload",
		openCase(openSymUnsigned, false)},
	{"open-sym-unsigned-cached", "msg/s",
		"env.Open(&Filter{KeySym}) on envelopes whose Hash() and PoW() were computed on arrival (the node path)",
		openCase(openSymUnsigned, true)},
	{"open-sym-signed", "msg/s",
		"env.Open(&Filter{KeySym}) on a fresh Envelope, signed message (ValidateAndParse recovers the signer with crypto.SigToPub)",
		openCase(openSymSigned, false)},
	{"open-asym-right", "msg/s",
		"env.Open(&Filter{KeyAsym}) on a fresh Envelope addressed to the key (ecies Decrypt, ValidateAndParse, PoW, Hash)",
		openCase(openAsymRight, false)},
	{"open-asym-wrong", "msg/s",
		"env.Open(&Filter{KeyAsym}) on a fresh Envelope addressed to another key (ecies Decrypt fails on the MAC)",
		openCase(openAsymWrong, false)},
	{"ecdh", "op/s",
		"(*ecies.PrivateKey).GenerateShared(pub, 16, 16), the ECDH step of ecies Decrypt (libsecp256k1 scalar multiplication)",
		ecdh},
	{"sig-recover", "op/s",
		"crypto.SigToPub(hash, sig) (libsecp256k1 recovery), as ValidateAndParse recovers a signer",
		sigRecover},
}

// sink keeps results alive so the compiler cannot drop the work.
var sink byte

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "geth-reference:", err)
		os.Exit(1)
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	must(err)
	return b
}

func key() *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	must(err)
	return k
}

// sealHashrate: geth's Seal loop, counted exactly. In target mode Seal tries nonces 0, 1, 2, …
// and returns at the first one whose hash reaches the target, leaving it in e.Nonce; the
// hashes it computed are therefore e.Nonce + 1. (In time mode, PoW < 0, Seal keeps the best
// nonce, not the last one, so its hash count cannot be read back.) A 16-bit target makes a
// seal average 65,536 hashes, so the per-seal setup (one RLP encoding and one Keccak-256 of
// ~330 bytes) is below 0.01% of the work.
func sealHashrate() op {
	data := random(300)
	// powToFirstBit(pow) = ceil(log2(pow × size × TTL)); a hair under 2^16 / (320 × 50) is 16.
	pow := 65536.0 / (float64(whisper.EnvelopeHeaderLength+len(data)) * 50) * 0.999
	expiry := uint32(1_800_000_000)
	return func() int {
		expiry++
		e := &whisper.Envelope{Expiry: expiry, TTL: 50, Topic: whisper.TopicType{1, 2, 3, 4}, Data: data}
		must(e.Seal(&whisper.MessageParams{PoW: pow, WorkTime: 3600}))
		if e.PoW()*float64(whisper.EnvelopeHeaderLength+len(data))*50 < 65536 {
			must(fmt.Errorf("seal returned below its target"))
		}
		return int(e.Nonce) + 1
	}
}

func keccak64() op {
	buf := make([]byte, 64)
	copy(buf, crypto.Keccak256([]byte{1, 2, 3}))
	nonce := uint64(0)
	return func() int {
		for i := 0; i < 1024; i++ {
			binary.BigEndian.PutUint64(buf[56:], nonce)
			sink ^= crypto.Keccak256(buf)[0]
			nonce++
		}
		return 1024
	}
}

// sampleEnvelopes are packages/envelope/bench/decode.bench.ts's envelopes: 300-byte data,
// TTL 50, distinct topics and nonces.
func sampleEnvelopes(count int) []*whisper.Envelope {
	out := make([]*whisper.Envelope, count)
	for i := range out {
		data := make([]byte, 300)
		for j := range data {
			data[j] = byte(i*131 + j*7)
		}
		out[i] = &whisper.Envelope{
			Expiry: uint32(1_800_000_000 + i),
			TTL:    50,
			Topic:  whisper.TopicType{byte(i), 1, 2, 3},
			Data:   data,
			Nonce:  uint64(i * 7919),
		}
	}
	return out
}

func decodeSingle() op {
	encoded := make([][]byte, 1024)
	for i, e := range sampleEnvelopes(1024) {
		b, err := rlp.EncodeToBytes(e)
		must(err)
		encoded[i] = b
	}
	i := 0
	return func() int {
		e := new(whisper.Envelope)
		must(rlp.DecodeBytes(encoded[i&1023], e))
		i++
		h := e.Hash()
		sink ^= h[0] ^ byte(e.PoW())
		return 1
	}
}

func decodePacket(size int) func() op {
	return func() op {
		packet, err := rlp.EncodeToBytes(sampleEnvelopes(size))
		must(err)
		return func() int {
			var envelopes []*whisper.Envelope
			must(rlp.DecodeBytes(packet, &envelopes))
			for _, e := range envelopes {
				h := e.Hash()
				sink ^= h[0] ^ byte(e.PoW())
			}
			return len(envelopes)
		}
	}
}

// An openSetup returns the filter to open with, 256 envelopes, whether opening must succeed,
// and the payload of envelope 0.
type openSetup func() (*whisper.Filter, []*whisper.Envelope, bool, []byte)

// wrap makes 256 envelopes as geth's shh_post does (NewSentMessage, Wrap): 300-byte random
// payloads, default random padding to a multiple of 256, PoW 0 (no seal), topic 01020304.
func wrap(p whisper.MessageParams) ([]*whisper.Envelope, []byte) {
	out := make([]*whisper.Envelope, 256)
	var first []byte
	for i := range out {
		p := p
		p.Payload = random(300)
		if i == 0 {
			first = p.Payload
		}
		p.Topic = whisper.TopicType{1, 2, 3, 4}
		p.WorkTime = 1
		msg, err := whisper.NewSentMessage(&p)
		must(err)
		out[i], err = msg.Wrap(&p)
		must(err)
	}
	return out, first
}

func openSymUnsigned() (*whisper.Filter, []*whisper.Envelope, bool, []byte) {
	k := random(32)
	envs, first := wrap(whisper.MessageParams{KeySym: k})
	return &whisper.Filter{KeySym: k}, envs, true, first
}

func openSymSigned() (*whisper.Filter, []*whisper.Envelope, bool, []byte) {
	k := random(32)
	envs, first := wrap(whisper.MessageParams{KeySym: k, Src: key()})
	return &whisper.Filter{KeySym: k}, envs, true, first
}

func openAsymRight() (*whisper.Filter, []*whisper.Envelope, bool, []byte) {
	k := key()
	envs, first := wrap(whisper.MessageParams{Dst: &k.PublicKey})
	return &whisper.Filter{KeyAsym: k}, envs, true, first
}

func openAsymWrong() (*whisper.Filter, []*whisper.Envelope, bool, []byte) {
	k := key()
	envs, _ := wrap(whisper.MessageParams{Dst: &k.PublicKey})
	return &whisper.Filter{KeyAsym: key()}, envs, false, nil
}

// openCase opens the envelopes in turn with env.Open(filter), exactly what geth's
// Filters.NotifyWatchers calls for a matching filter. Unless cached, each open gets a fresh
// Envelope holding the same public fields, so Open computes PoW() and Hash() itself (an
// Envelope caches both); cached, the envelopes have had Hash() and PoW() computed, as an
// envelope has when it reaches the filters after Whisper.add.
func openCase(setup openSetup, cached bool) func() op {
	return func() op {
		filter, envs, succeeds, first := setup()
		if cached {
			for _, e := range envs {
				e.Hash()
				e.PoW()
			}
		}
		if msg := envs[0].Open(filter); succeeds && (msg == nil || string(msg.Payload) != string(first)) {
			must(fmt.Errorf("open did not return the payload"))
		}
		i := 0
		return func() int {
			e := envs[i&255]
			i++
			if !cached {
				e = &whisper.Envelope{Expiry: e.Expiry, TTL: e.TTL, Topic: e.Topic, Data: e.Data, Nonce: e.Nonce}
			}
			msg := e.Open(filter)
			if (msg != nil) != succeeds {
				must(fmt.Errorf("open succeeded=%v, expected %v", msg != nil, succeeds))
			}
			return 1
		}
	}
}

func ecdh() op {
	prv := ecies.ImportECDSA(key())
	params := ecies.ParamsFromCurve(crypto.S256())
	peers := make([]*ecies.PublicKey, 64)
	for i := range peers {
		peers[i] = ecies.ImportECDSAPublic(&key().PublicKey)
	}
	i := 0
	return func() int {
		z, err := prv.GenerateShared(peers[i&63], params.KeyLen, params.KeyLen)
		must(err)
		sink ^= z[0]
		i++
		return 1
	}
}

func sigRecover() op {
	signer := key()
	hashes := make([][]byte, 64)
	sigs := make([][]byte, 64)
	for n := range hashes {
		hashes[n] = crypto.Keccak256([]byte{byte(n)})
		var err error
		sigs[n], err = crypto.Sign(hashes[n], signer)
		must(err)
	}
	i := 0
	return func() int {
		pub, err := crypto.SigToPub(hashes[i&63], sigs[i&63])
		must(err)
		sink ^= byte(pub.X.Bits()[0])
		i++
		return 1
	}
}

// timed runs f until d has passed, in batches that take about a millisecond, so reading the
// clock costs well under 1% of any case. It returns the operations and the seconds.
func timed(f op, d time.Duration, batch int) (int, float64) {
	ops := 0
	start := time.Now()
	for {
		for i := 0; i < batch; i++ {
			ops += f()
		}
		if elapsed := time.Since(start); elapsed >= d {
			return ops, elapsed.Seconds()
		}
	}
}

type result struct {
	Case       string  `json:"case"`
	Ops        int     `json:"ops"`
	Seconds    float64 `json:"seconds"`
	Rate       float64 `json:"rate"`
	Unit       string  `json:"unit"`
	Geth       string  `json:"geth"`
	Go         string  `json:"go"`
	GOMAXPROCS int     `json:"gomaxprocs"`
}

// poolCounter returns a function giving the number of envelopes in w's pool: len of its
// unexported envelopes map, read under its poolMu read lock (reflect and unsafe reach both).
// Whisper.Envelopes() gives the same number but copies the whole pool into a new slice, which
// polled every millisecond would be a large share of the node's work; this costs a lock and a
// read. The "envelopes" command checks it against len(Envelopes()).
func poolCounter(w *whisper.Whisper) func() int {
	v := reflect.ValueOf(w).Elem()
	muField, poolField := v.FieldByName("poolMu"), v.FieldByName("envelopes")
	if !muField.IsValid() || muField.Type() != reflect.TypeOf(sync.RWMutex{}) ||
		!poolField.IsValid() || poolField.Kind() != reflect.Map {
		must(fmt.Errorf("whisperv6.Whisper has no poolMu sync.RWMutex and envelopes map: not v1.8.27?"))
	}
	mu := (*sync.RWMutex)(unsafe.Pointer(muField.UnsafeAddr()))
	return func() int {
		mu.RLock()
		defer mu.RUnlock()
		return poolField.Len()
	}
}

type nodeInfo struct {
	Mode           string  `json:"mode"`
	Enode          string  `json:"enode"`
	MaxPeers       int     `json:"maxPeers"`
	MaxMessageSize uint32  `json:"maxMessageSize"`
	MinPow         float64 `json:"minPow"`
	Geth           string  `json:"geth"`
	Go             string  `json:"go"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
}

// whisperNode runs a whisper node as geth v1.8.27 runs one, minus the RPC and the database:
// its own p2p.Server (RLPx, devp2p, no discovery, no dialing) carrying whisperv6, started as
// node.Node starts it (Whisper.Start, then the server), with PoW 0 accepted, the largest
// message size whisperv6 allows (10 MiB) and no bloom filter (it takes every envelope). It
// listens on 127.0.0.1 on a free port, prints one JSON line {mode, enode, ...}, then answers
// each stdin line with one stdout line:
//
//	count       the number of envelopes in the pool (a lock and a map length; see poolCounter)
//	envelopes   len(Whisper.Envelopes()), the same number through geth's API (copies the pool)
//	peers       the number of connected devp2p peers (p2p.Server.PeerCount)
//
// and stops the server and exits when stdin ends. Any other line is answered "error: ...".
func whisperNode(args []string) {
	maxPeers := 32
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "geth-reference: whisper-node [max-peers], max-peers a positive integer")
			os.Exit(2)
		}
		maxPeers = n
	}
	shh := whisper.New(&whisper.Config{
		MaxMessageSize:     whisper.MaxMessageSize,
		MinimumAcceptedPOW: 0,
		// geth's default; the bench's senders say they are light nodes, this node is not.
		RestrictConnectionBetweenLightClients: true,
	})
	server := &p2p.Server{Config: p2p.Config{
		PrivateKey:  key(),
		MaxPeers:    maxPeers,
		NoDiscovery: true,
		NoDial:      true,
		ListenAddr:  "127.0.0.1:0",
		Name:        "Geth/v" + params.VersionWithMeta + "/geth-reference/" + runtime.Version(),
		Protocols:   shh.Protocols(),
	}}
	// GETH_REFERENCE_CPUPROFILE=FILE: a Go CPU profile of the node's whole life, written when
	// stdin ends (read it with `go tool pprof -top BINARY FILE`): where geth's time goes.
	if path := os.Getenv("GETH_REFERENCE_CPUPROFILE"); path != "" {
		file, err := os.Create(path)
		must(err)
		must(pprof.StartCPUProfile(file))
		defer file.Close()
		defer pprof.StopCPUProfile()
	}
	must(shh.Start(server))
	must(server.Start())
	count := poolCounter(shh)
	info, err := json.Marshal(nodeInfo{
		Mode: "whisper-node", Enode: server.Self().String(), MaxPeers: maxPeers,
		MaxMessageSize: shh.MaxMessageSize(), MinPow: shh.MinPow(),
		Geth: params.VersionWithMeta, Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
	})
	must(err)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, string(info))
	must(out.Flush())
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		switch lines.Text() {
		case "count":
			fmt.Fprintln(out, count())
		case "envelopes":
			fmt.Fprintln(out, len(shh.Envelopes()))
		case "peers":
			fmt.Fprintln(out, server.PeerCount())
		default:
			fmt.Fprintf(out, "error: unknown command %q (count, envelopes, peers)\n", lines.Text())
		}
		must(out.Flush())
	}
	server.Stop()
	must(shh.Stop())
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "whisper-node" {
		whisperNode(os.Args[2:])
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "list" {
		for _, c := range cases {
			fmt.Printf("%s\t%s\t%s\n", c.name, c.unit, c.about)
		}
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: geth-reference list | geth-reference <case> <milliseconds> | geth-reference whisper-node [max-peers]")
		os.Exit(2)
	}
	ms, err := strconv.Atoi(os.Args[2])
	if err != nil || ms <= 0 {
		fmt.Fprintln(os.Stderr, "geth-reference: milliseconds must be a positive integer")
		os.Exit(2)
	}
	for _, c := range cases {
		if c.name != os.Args[1] {
			continue
		}
		f := c.setup()
		runtime.GC()
		// Warm-up: a fifth of the run (at least 100 ms, at most 300 ms), which also sizes the
		// batches between clock reads.
		warm := time.Duration(ms) * time.Millisecond / 5
		if warm < 100*time.Millisecond {
			warm = 100 * time.Millisecond
		} else if warm > 300*time.Millisecond {
			warm = 300 * time.Millisecond
		}
		calls := 0
		start := time.Now()
		for time.Since(start) < warm {
			f()
			calls++
		}
		batch := int(float64(calls) / warm.Seconds() / 1000)
		if batch < 1 {
			batch = 1
		}
		ops, seconds := timed(f, time.Duration(ms)*time.Millisecond, batch)
		out, err := json.Marshal(result{
			Case: c.name, Ops: ops, Seconds: seconds, Rate: float64(ops) / seconds, Unit: c.unit,
			Geth: params.VersionWithMeta, Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		})
		must(err)
		fmt.Println(string(out))
		return
	}
	fmt.Fprintf(os.Stderr, "geth-reference: no case %q (try: geth-reference list)\n", os.Args[1])
	os.Exit(2)
}

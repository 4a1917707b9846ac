// ns_ref: runs a WAV file through one of the reference noise suppressors that voxline's noise
// suppressor is compared with, 10 ms at a time, as a VoIP engine would call them:
//
//   ns_ref speex  IN.wav OUT.wav [--suppress-db -20]   SpeexDSP preprocessor, denoise only
//   ns_ref webrtc IN.wav OUT.wav [--level 0..3]        WebRTC APM 0.3 noise suppression only
//   ns_ref bench  speex|webrtc RATE SECONDS            time per 10 ms frame on white noise
//
// Only the public APIs of the Debian packages libspeexdsp-dev and libwebrtc-audio-processing-dev
// are used; nothing of their source is copied here. Built by tools/eval/ns_eval.py
// (see tools/eval/README.md). IN.wav: 16-bit PCM mono. OUT.wav: 16-bit PCM mono, same rate and
// length, NOT delay-compensated (the evaluation aligns every system's output itself).
// Process mode prints "us_per_frame <mean processing time per 10 ms frame>" on stdout.

#include <speex/speex_preprocess.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "ns_ref: error: %s\n", msg.c_str());
  std::exit(2);
}

uint32_t le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
uint16_t le16(const unsigned char* p) { return (uint16_t)(p[0] | p[1] << 8); }

struct Wav {
  int rate = 0;
  std::vector<int16_t> samples;
};

Wav read_wav(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) fail(std::string("cannot read ") + path);
  std::vector<unsigned char> bytes;
  unsigned char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  if (bytes.size() < 12 || std::memcmp(&bytes[0], "RIFF", 4) || std::memcmp(&bytes[8], "WAVE", 4))
    fail(std::string(path) + ": not a RIFF/WAVE file");
  Wav w;
  bool fmt = false;
  size_t pos = 12;
  while (pos + 8 <= bytes.size()) {
    uint32_t len = le32(&bytes[pos + 4]);
    const unsigned char* body = &bytes[pos + 8];
    size_t avail = bytes.size() - pos - 8;
    if (!std::memcmp(&bytes[pos], "fmt ", 4) && len >= 16 && avail >= 16) {
      if (le16(body) != 1 || le16(body + 2) != 1 || le16(body + 14) != 16)
        fail(std::string(path) + ": need 16-bit PCM mono");
      w.rate = (int)le32(body + 4);
      fmt = true;
    } else if (!std::memcmp(&bytes[pos], "data", 4)) {
      if (!fmt) fail(std::string(path) + ": data before fmt");
      size_t count = std::min<size_t>(len, avail) / 2;
      w.samples.resize(count);
      for (size_t i = 0; i < count; i++) w.samples[i] = (int16_t)le16(body + 2 * i);
      return w;
    }
    pos += 8 + len + (len & 1);
  }
  fail(std::string(path) + ": no data chunk");
}

void put32(FILE* f, uint32_t v) { unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)}; std::fwrite(b, 1, 4, f); }
void put16(FILE* f, uint16_t v) { unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)}; std::fwrite(b, 1, 2, f); }

void write_wav(const char* path, int rate, const std::vector<int16_t>& s) {
  FILE* f = std::fopen(path, "wb");
  if (!f) fail(std::string("cannot write ") + path);
  uint32_t data = (uint32_t)(s.size() * 2);
  std::fwrite("RIFF", 1, 4, f); put32(f, 36 + data); std::fwrite("WAVEfmt ", 1, 8, f);
  put32(f, 16); put16(f, 1); put16(f, 1); put32(f, rate); put32(f, rate * 2); put16(f, 2); put16(f, 16);
  std::fwrite("data", 1, 4, f); put32(f, data);
  for (int16_t v : s) put16(f, (uint16_t)v);
  if (std::fclose(f)) fail(std::string("cannot write ") + path);
}

// One suppressor, processing 10 ms of int16 in place.
struct Suppressor {
  virtual ~Suppressor() {}
  virtual void process(int16_t* frame) = 0;
};

struct Speex : Suppressor {
  SpeexPreprocessState* st;
  Speex(int rate, int suppress_db) {
    st = speex_preprocess_state_init(rate / 100, rate);
    if (!st) fail("speex_preprocess_state_init failed");
    int on = 1, off = 0;
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress_db);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &off);
    speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    // VAD stays at its default (off): setting it prints a warning in SpeexDSP 1.2.
  }
  ~Speex() override { speex_preprocess_state_destroy(st); }
  void process(int16_t* frame) override { speex_preprocess_run(st, frame); }
};

struct Webrtc : Suppressor {
  std::unique_ptr<webrtc::AudioProcessing> apm;
  webrtc::AudioFrame af;
  int rate;
  Webrtc(int rate_, int level) : rate(rate_) {
    apm.reset(webrtc::AudioProcessing::Create());
    if (!apm) fail("AudioProcessing::Create failed");
    apm->high_pass_filter()->Enable(false);
    apm->gain_control()->Enable(false);
    apm->echo_cancellation()->Enable(false);
    apm->voice_detection()->Enable(false);
    static const webrtc::NoiseSuppression::Level levels[] = {
        webrtc::NoiseSuppression::kLow, webrtc::NoiseSuppression::kModerate,
        webrtc::NoiseSuppression::kHigh, webrtc::NoiseSuppression::kVeryHigh};
    if (level < 0 || level > 3) fail("--level must be 0..3");
    if (apm->noise_suppression()->set_level(levels[level]) != 0) fail("set_level failed");
    if (apm->noise_suppression()->Enable(true) != 0) fail("NoiseSuppression::Enable failed");
  }
  void process(int16_t* frame) override {
    size_t n = (size_t)rate / 100;
    af.sample_rate_hz_ = rate;
    af.num_channels_ = 1;
    af.samples_per_channel_ = n;
    std::memcpy(af.data_, frame, n * sizeof(int16_t));
    int err = apm->ProcessStream(&af);
    if (err != 0) fail("ProcessStream failed with " + std::to_string(err));
    std::memcpy(frame, af.data_, n * sizeof(int16_t));
  }
};

std::unique_ptr<Suppressor> make(const std::string& which, int rate, int argc, char** argv, int first) {
  int suppress_db = -20, level = 3;
  for (int i = first; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--suppress-db" && i + 1 < argc) suppress_db = std::atoi(argv[++i]);
    else if (a == "--level" && i + 1 < argc) level = std::atoi(argv[++i]);
    else fail("unknown option " + a);
  }
  if (rate != 8000 && rate != 16000 && rate != 32000 && rate != 48000)
    fail("rate " + std::to_string(rate) + " Hz: use 8000, 16000, 32000 or 48000");
  if (which == "speex") return std::unique_ptr<Suppressor>(new Speex(rate, suppress_db));
  if (which == "webrtc") return std::unique_ptr<Suppressor>(new Webrtc(rate, level));
  fail("unknown suppressor " + which + " (speex or webrtc)");
}

double run(Suppressor& s, std::vector<int16_t>& x, size_t n) {
  size_t frames = x.size() / n;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t k = 0; k < frames; k++) s.process(&x[k * n]);
  auto t1 = std::chrono::steady_clock::now();
  double us = std::chrono::duration<double, std::micro>(t1 - t0).count();
  return frames ? us / (double)frames : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: ns_ref speex|webrtc IN.wav OUT.wav [--suppress-db D] [--level L]\n"
                 "       ns_ref bench speex|webrtc RATE SECONDS\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "bench") {
    if (argc < 5) fail("bench needs: speex|webrtc RATE SECONDS");
    int rate = std::atoi(argv[3]);
    double seconds = std::atof(argv[4]);
    auto s = make(argv[2], rate, argc, argv, 5);
    size_t n = (size_t)rate / 100;
    std::vector<int16_t> x((size_t)(seconds * 100) * n);
    uint32_t r = 12345;
    for (auto& v : x) { r = r * 1664525u + 1013904223u; v = (int16_t)((int32_t)(r >> 16) - 32768) / 8; }
    // Warm-up pass, then the timed pass on a fresh copy of the same noise.
    std::vector<int16_t> warm(x.begin(), x.begin() + std::min(x.size(), 100 * n));
    run(*s, warm, n);
    double us = run(*s, x, n);
    std::printf("%s %d Hz: %.3f us per 10 ms frame\n", argv[2], rate, us);
    return 0;
  }
  Wav w = read_wav(argv[2]);
  auto s = make(mode, w.rate, argc, argv, 4);
  size_t n = (size_t)w.rate / 100;
  size_t len = w.samples.size();
  std::vector<int16_t> x(w.samples);
  x.resize((len + n - 1) / n * n, 0);
  double us = run(*s, x, n);
  x.resize(len);
  write_wav(argv[3], w.rate, x);
  std::printf("us_per_frame %.3f\n", us);
  return 0;
}

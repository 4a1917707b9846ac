// aec_ref: comparison harness for voxline's echo canceller evaluation (tools/eval/aec_eval.py).
//
// Runs one reference echo canceller from the system libraries on a far/mic WAV pair and
// writes the cleaned capture signal, timing the processing loop:
//
//   speex        SpeexDSP 1.2 (libspeexdsp): speex_echo_cancellation (MDF) with 10 ms frames
//                and a filter of --tail-ms, followed by speex_preprocess_run with
//                SPEEX_PREPROCESS_SET_ECHO_STATE (residual echo suppression; the preprocessor's
//                defaults otherwise: denoise on, AGC/VAD/dereverb off), as SpeexDSP's own
//                example and most of its users do.
//   webrtc-aec2  WebRTC AudioProcessing 0.3 (libwebrtc-audio-processing) EchoCancellation
//                (AEC2) with ExtendedFilter and DelayAgnostic enabled, moderate suppression,
//                no drift compensation; high-pass filter, NS, AGC and VAD off.
//                set_stream_delay_ms(--stream-delay-ms, default 0) before every frame.
//   webrtc-aecm  the same library's EchoControlMobile (AECM), routing kLoudSpeakerphone,
//                comfort noise on; 8 and 16 kHz only.
//
// Usage:
//   aec_ref ALGO FAR.wav MIC.wav OUT.wav [--tail-ms 250] [--stream-delay-ms 0] [--passes 1]
//
// FAR and MIC: 16-bit mono PCM WAV at the same rate (8000, 16000, 32000 or 48000 Hz). OUT has
// MIC's rate and length (the last partial 10 ms frame is zero-padded for processing and cut).
// With --passes K the whole file is processed K times, each with a freshly created canceller;
// the output is the first pass's and the timing covers only the per-frame library calls.
// One JSON line goes to stdout: algorithm, rate, frames, tail, and per-pass microseconds per
// 10 ms frame (min and median), plus what the library reports (AEC2 delay, AEC2 ERLE).
//
// This program only links those libraries for comparison; none of their code is in voxline.

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Wav {
  int rate = 0;
  std::vector<int16_t> samples;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "aec_ref: error: %s\n", msg.c_str());
  std::exit(2);
}

uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

Wav read_wav(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) die("cannot open " + path);
  std::vector<unsigned char> buf;
  unsigned char tmp[65536];
  size_t n;
  while ((n = std::fread(tmp, 1, sizeof tmp, f)) > 0) buf.insert(buf.end(), tmp, tmp + n);
  std::fclose(f);
  if (buf.size() < 12 || std::memcmp(buf.data(), "RIFF", 4) || std::memcmp(buf.data() + 8, "WAVE", 4))
    die(path + ": not a RIFF/WAVE file");
  Wav w;
  bool have_fmt = false;
  size_t pos = 12;
  while (pos + 8 <= buf.size()) {
    uint32_t len = le32(&buf[pos + 4]);
    const unsigned char* body = &buf[pos + 8];
    size_t avail = buf.size() - (pos + 8);
    if (!std::memcmp(&buf[pos], "fmt ", 4)) {
      if (len < 16 || avail < 16) die(path + ": short fmt chunk");
      uint16_t format = le16(body), channels = le16(body + 2), bits = le16(body + 14);
      w.rate = static_cast<int>(le32(body + 4));
      bool pcm = format == 1 || (format == 0xFFFE && len >= 26 && le16(body + 24) == 1);
      if (!pcm || channels != 1 || bits != 16) die(path + ": need 16-bit mono PCM WAV");
      have_fmt = true;
    } else if (!std::memcmp(&buf[pos], "data", 4)) {
      if (!have_fmt) die(path + ": data before fmt");
      size_t bytes = std::min<size_t>(len, avail) & ~static_cast<size_t>(1);
      w.samples.resize(bytes / 2);
      for (size_t i = 0; i < w.samples.size(); ++i)
        w.samples[i] = static_cast<int16_t>(le16(body + 2 * i));
      return w;
    }
    pos += 8 + len + (len & 1);
  }
  die(path + ": no data chunk");
}

void write_wav(const std::string& path, int rate, const std::vector<int16_t>& s) {
  std::string tmp_path = path + ".tmp";
  FILE* f = std::fopen(tmp_path.c_str(), "wb");
  if (!f) die("cannot write " + path);
  auto put32 = [&](uint32_t v) {
    unsigned char b[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                          static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
    std::fwrite(b, 1, 4, f);
  };
  auto put16 = [&](uint16_t v) {
    unsigned char b[2] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8)};
    std::fwrite(b, 1, 2, f);
  };
  uint32_t data = static_cast<uint32_t>(s.size() * 2);
  std::fwrite("RIFF", 1, 4, f);
  put32(36 + data);
  std::fwrite("WAVEfmt ", 1, 8, f);
  put32(16);
  put16(1);
  put16(1);
  put32(static_cast<uint32_t>(rate));
  put32(static_cast<uint32_t>(rate * 2));
  put16(2);
  put16(16);
  std::fwrite("data", 1, 4, f);
  put32(data);
  for (int16_t v : s) put16(static_cast<uint16_t>(v));
  if (std::fclose(f) != 0 || std::rename(tmp_path.c_str(), path.c_str()) != 0)
    die("cannot write " + path);
}

// One canceller instance behind a common frame interface.
class Canceller {
 public:
  virtual ~Canceller() {}
  // far, mic: one 10 ms frame each; out: the cleaned frame.
  virtual void process(const int16_t* far, const int16_t* mic, int16_t* out) = 0;
  virtual std::string report() const { return ""; }
};

class Speex : public Canceller {
 public:
  Speex(int rate, int frame, int tail) : frame_(frame) {
    echo_ = speex_echo_state_init(frame, tail);
    if (!echo_) die("speex_echo_state_init failed");
    speex_echo_ctl(echo_, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    pre_ = speex_preprocess_state_init(frame, rate);
    if (!pre_) die("speex_preprocess_state_init failed");
    speex_preprocess_ctl(pre_, SPEEX_PREPROCESS_SET_ECHO_STATE, echo_);
  }
  ~Speex() override {
    speex_preprocess_state_destroy(pre_);
    speex_echo_state_destroy(echo_);
  }
  void process(const int16_t* far, const int16_t* mic, int16_t* out) override {
    speex_echo_cancellation(echo_, mic, far, out);
    speex_preprocess_run(pre_, out);
  }

 private:
  int frame_;
  SpeexEchoState* echo_;
  SpeexPreprocessState* pre_;
};

class WebRtc : public Canceller {
 public:
  WebRtc(int rate, int frame, bool mobile, int stream_delay_ms)
      : mobile_(mobile), stream_delay_ms_(stream_delay_ms) {
    webrtc::Config config;
    if (!mobile) {
      config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
      config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    }
    apm_.reset(webrtc::AudioProcessing::Create(config));
    if (!apm_) die("AudioProcessing::Create failed");
    // the int16 interface needs capture, output and render at the same rate from the start
    // (the default capture rate is 16 kHz, which would reject 8 kHz render frames)
    check(apm_->Initialize(rate, rate, rate, webrtc::AudioProcessing::kMono,
                           webrtc::AudioProcessing::kMono, webrtc::AudioProcessing::kMono),
          "Initialize");
    apm_->high_pass_filter()->Enable(false);
    apm_->noise_suppression()->Enable(false);
    apm_->gain_control()->Enable(false);
    apm_->voice_detection()->Enable(false);
    if (mobile) {
      check(apm_->echo_control_mobile()->Enable(true), "echo_control_mobile Enable");
      check(apm_->echo_control_mobile()->set_routing_mode(
                webrtc::EchoControlMobile::kLoudSpeakerphone),
            "set_routing_mode");
      check(apm_->echo_control_mobile()->enable_comfort_noise(true), "enable_comfort_noise");
    } else {
      webrtc::EchoCancellation* ec = apm_->echo_cancellation();
      check(ec->Enable(true), "echo_cancellation Enable");
      check(ec->enable_drift_compensation(false), "enable_drift_compensation");
      check(ec->set_suppression_level(webrtc::EchoCancellation::kModerateSuppression),
            "set_suppression_level");
      check(ec->enable_metrics(true), "enable_metrics");
      check(ec->enable_delay_logging(true), "enable_delay_logging");
    }
    for (webrtc::AudioFrame* f : {&far_, &mic_}) {
      f->sample_rate_hz_ = rate;
      f->num_channels_ = 1;
      f->samples_per_channel_ = static_cast<size_t>(frame);
    }
    frame_ = frame;
  }
  void process(const int16_t* far, const int16_t* mic, int16_t* out) override {
    std::memcpy(far_.data_, far, sizeof(int16_t) * frame_);
    std::memcpy(mic_.data_, mic, sizeof(int16_t) * frame_);
    check(apm_->ProcessReverseStream(&far_), "ProcessReverseStream");
    apm_->set_stream_delay_ms(stream_delay_ms_);
    int err = apm_->ProcessStream(&mic_);
    if (err != webrtc::AudioProcessing::kNoError &&
        err != webrtc::AudioProcessing::kBadStreamParameterWarning)
      check(err, "ProcessStream");
    std::memcpy(out, mic_.data_, sizeof(int16_t) * frame_);
  }
  std::string report() const override {
    if (mobile_) return "";
    int median = 0, std_dev = 0;
    float poor = 0;
    webrtc::EchoCancellation* ec = apm_->echo_cancellation();
    char buf[256];
    std::string s;
    if (ec->GetDelayMetrics(&median, &std_dev, &poor) == 0) {
      std::snprintf(buf, sizeof buf, ", \"aec2_delay_median_ms\": %d, \"aec2_delay_std_ms\": %d",
                    median, std_dev);
      s += buf;
    }
    webrtc::EchoCancellation::Metrics m;
    if (ec->GetMetrics(&m) == 0) {
      std::snprintf(buf, sizeof buf, ", \"aec2_erle_average_db\": %d",
                    m.echo_return_loss_enhancement.average);
      s += buf;
    }
    return s;
  }

 private:
  static void check(int err, const char* what) {
    if (err != 0) die(std::string(what) + " returned " + std::to_string(err));
  }
  bool mobile_;
  int stream_delay_ms_;
  int frame_ = 0;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  webrtc::AudioFrame far_, mic_;
};

std::unique_ptr<Canceller> make(const std::string& algo, int rate, int frame, int tail_ms,
                                int stream_delay_ms) {
  if (algo == "speex") return std::unique_ptr<Canceller>(new Speex(rate, frame, rate * tail_ms / 1000));
  if (algo == "webrtc-aec2") return std::unique_ptr<Canceller>(new WebRtc(rate, frame, false, stream_delay_ms));
  if (algo == "webrtc-aecm") {
    if (rate != 8000 && rate != 16000) die("webrtc-aecm supports 8000 and 16000 Hz only");
    return std::unique_ptr<Canceller>(new WebRtc(rate, frame, true, stream_delay_ms));
  }
  die("unknown algorithm '" + algo + "' (speex, webrtc-aec2, webrtc-aecm)");
}

int int_arg(const char* s, const char* name) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 100000) die(std::string("bad value for ") + name + ": " + s);
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: aec_ref speex|webrtc-aec2|webrtc-aecm FAR.wav MIC.wav OUT.wav "
                 "[--tail-ms 250] [--stream-delay-ms 0] [--passes 1]\n");
    return 2;
  }
  std::string algo = argv[1];
  int tail_ms = 250, stream_delay_ms = 0, passes = 1;
  for (int i = 5; i < argc; i += 2) {
    if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
    std::string opt = argv[i];
    if (opt == "--tail-ms") tail_ms = int_arg(argv[i + 1], "--tail-ms");
    else if (opt == "--stream-delay-ms") stream_delay_ms = int_arg(argv[i + 1], "--stream-delay-ms");
    else if (opt == "--passes") passes = std::max(1, int_arg(argv[i + 1], "--passes"));
    else die("unknown option " + opt);
  }
  Wav far = read_wav(argv[2]);
  Wav mic = read_wav(argv[3]);
  if (far.rate != mic.rate) die("FAR and MIC sample rates differ");
  int rate = mic.rate;
  if (rate != 8000 && rate != 16000 && rate != 32000 && rate != 48000)
    die("rate must be 8000, 16000, 32000 or 48000 Hz");
  const int frame = rate / 100;
  const size_t frames = (mic.samples.size() + frame - 1) / frame;
  std::vector<int16_t> farp(frames * frame, 0), micp(frames * frame, 0), out(frames * frame, 0);
  std::copy(mic.samples.begin(), mic.samples.end(), micp.begin());
  std::copy(far.samples.begin(), far.samples.begin() + std::min(far.samples.size(), farp.size()),
            farp.begin());

  std::vector<double> us_per_frame;
  std::string report;
  std::vector<int16_t> scratch(frames * frame);
  for (int p = 0; p < passes; ++p) {
    std::unique_ptr<Canceller> c = make(algo, rate, frame, tail_ms, stream_delay_ms);
    int16_t* dst = p == 0 ? out.data() : scratch.data();
    auto t0 = std::chrono::steady_clock::now();
    for (size_t k = 0; k < frames; ++k)
      c->process(&farp[k * frame], &micp[k * frame], dst + k * frame);
    auto t1 = std::chrono::steady_clock::now();
    us_per_frame.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() /
                           static_cast<double>(std::max<size_t>(frames, 1)));
    if (p == 0) report = c->report();
  }
  out.resize(mic.samples.size());
  write_wav(argv[4], rate, out);
  std::vector<double> sorted = us_per_frame;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "{\"algo\": \"%s\", \"rate\": %d, \"frames\": %zu, \"tail_ms\": %d, \"passes\": %d, "
      "\"us_per_frame_min\": %.3f, \"us_per_frame_median\": %.3f%s}\n",
      algo.c_str(), rate, frames, tail_ms, passes, sorted.front(), sorted[sorted.size() / 2],
      report.c_str());
  return 0;
}

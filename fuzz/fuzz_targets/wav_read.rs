//! Fuzz target: arbitrary bytes through `read_audio` (and `read_raw_g711`). Nothing may panic;
//! whatever parses must convert, and must survive a write/read round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use voxline_g711::Law;
use voxline_wav::{read_audio, read_raw_g711, write_g711_wav, write_pcm16_wav, SampleFormat};

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = read_audio(Cursor::new(data)) {
        assert!(audio.channels >= 1);
        assert!(audio.num_samples() <= data.len());
        assert_eq!(
            audio.frames() * usize::from(audio.channels),
            audio.num_samples()
        );
        let pcm = audio.to_i16();
        assert_eq!(pcm.len(), audio.num_samples());
        assert_eq!(audio.to_f32().len(), pcm.len());
        assert_eq!(audio.to_mono_f32().len(), audio.frames());
        let mono = audio.downmix().expect("channels >= 1");
        assert_eq!(mono.frames(), audio.frames());

        // Writing what was read and reading it again gives the same content.
        let mut file = Vec::new();
        match audio.format {
            SampleFormat::G711(law) => {
                let codes = audio.g711_codes().expect("G.711 content has codes");
                write_g711_wav(&mut file, law, audio.sample_rate, audio.channels, codes)
                    .expect("valid G.711 audio writes");
                let again = read_audio(Cursor::new(&file)).expect("our G.711 WAV reads");
                assert_eq!(again.g711_codes(), Some(codes));
            }
            SampleFormat::Pcm { bits: 16 } => {
                write_pcm16_wav(&mut file, audio.sample_rate, audio.channels, &pcm)
                    .expect("valid PCM audio writes");
                let again = read_audio(Cursor::new(&file)).expect("our PCM WAV reads");
                assert_eq!(again.to_i16(), pcm);
            }
            _ => {}
        }
    }

    // Raw G.711: the first byte picks the law and the rate, the rest is the stream.
    if let Some((&first, rest)) = data.split_first() {
        let law = if first & 1 == 0 { Law::Mu } else { Law::A };
        let rate = [8000, 16000, 0, 768_001][usize::from(first >> 1) & 3];
        if let Ok(audio) = read_raw_g711(rest, law, rate) {
            assert_eq!(audio.g711_codes(), Some(rest));
            assert_eq!(audio.to_i16().len(), rest.len());
        }
    }
});

//! `nn::tokenizer::WordPiece` gives exactly the ids of Hugging Face's `tokenizers` crate set up
//! as a `BertWordPieceTokenizer` (BertNormalizer with clean text, CJK, accent stripping and
//! lowercase; BertPreTokenizer; WordPiece; [CLS]/[SEP]) over the same vocab.txt, on the bundled
//! sentences, the Brown subset, and generated variations (case, accents, punctuation, numbers,
//! emoji, CJK, control characters, over-long words).
#![cfg(not(target_arch = "wasm32"))]

use nn::text_data::read_labelled_tsv;
use nn::tokenizer::WordPiece;
use tokenizers::Tokenizer;
use tokenizers::models::wordpiece::WordPiece as HfWordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;

fn data_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/data")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data_path(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

/// Deterministic variations of a sentence that exercise each normalisation step.
fn variations(sentence: &str, idx: usize) -> Vec<String> {
    const EXTRAS: [&str; 12] = [
        "café naïve résumé",
        "Ça coûte 12,50 € — déjà vu!",
        "I ❤️ this 🎬🍿 so much 😂😂",
        "これは映画です 电影很好看 영화",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
        "tab\tnew\nline\r\nzero\u{200b}width\u{feff}bom",
        "3.14159 1,000,000 2nd 10:30pm 50%",
        "«quoted» „low“ ‘single’ “double” ¿qué? ¡sí!",
        "Ångström Œuvre straße İstanbul ﬁne",
        "e-mail@example.com http://x.y/z?a=b&c=d #tag",
        "控制\u{0007}字符\u{0000}和\u{fffd}替换",
        "ÀÉÎÕÜ àéîõü ḱṓṟ",
    ];
    let long_word = "a".repeat(101 + idx % 3);
    vec![
        sentence.to_uppercase(),
        format!("{sentence} {}", EXTRAS[idx % EXTRAS.len()]),
        format!(
            "{} {sentence} {long_word}",
            EXTRAS[(idx + 5) % EXTRAS.len()]
        ),
    ]
}

#[test]
fn wordpiece_ids_equal_the_tokenizers_crate() {
    let vocab_path = data_path("bert-base-uncased-vocab.txt");
    let vocab_text = String::from_utf8(read("bert-base-uncased-vocab.txt")).unwrap();
    let ours = WordPiece::from_vocab_txt(&vocab_text).unwrap();

    let model = HfWordPiece::from_file(vocab_path.to_str().unwrap())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut reference = Tokenizer::new(model);
    reference.with_normalizer(Some(BertNormalizer::new(true, true, Some(true), true)));
    reference.with_pre_tokenizer(Some(BertPreTokenizer));
    reference.with_post_processor(Some(BertProcessing::new(
        ("[SEP]".into(), 102),
        ("[CLS]".into(), 101),
    )));

    let mut sentences: Vec<String> = Vec::new();
    for name in ["sentiment-train.tsv.gz", "sentiment-test.tsv.gz"] {
        sentences.extend(
            read_labelled_tsv(&read(name))
                .unwrap()
                .into_iter()
                .map(|r| r.sentence),
        );
    }
    let brown = String::from_utf8(read("brown-subset.txt")).unwrap();
    sentences.extend(brown.lines().map(String::from));
    let n_base = sentences.len();
    for idx in 0..n_base.min(3000) {
        let extra = variations(&sentences[idx * 3 % n_base].clone(), idx);
        sentences.extend(extra);
    }
    assert!(
        sentences.len() >= 10_000,
        "only {} sentences",
        sentences.len()
    );

    let mut n_agree = 0;
    let mut n_unk = 0;
    for sentence in &sentences {
        let expected = reference.encode(sentence.as_str(), true).unwrap();
        let got = ours.encode_unpadded(sentence, usize::MAX);
        assert_eq!(
            got,
            expected.get_ids(),
            "ids differ for {sentence:?}: ours {:?}",
            ours.tokenize(sentence)
        );
        n_unk += got.iter().filter(|&&id| id == ours.unk_id).count();
        n_agree += 1;
    }
    assert!(n_unk > 0, "the variations include words that become [UNK]");
    println!(
        "tokenizer agreement: {n_agree} of {} sentences",
        sentences.len()
    );
}

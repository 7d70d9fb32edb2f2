//! Message text encodings: GSM 03.38 7-bit (with its extension table),
//! UCS-2 / UTF-16 big-endian and Latin-1, and the `data_coding` values that
//! announce them.

use core::fmt;

/// `data_coding` values (SMPP 3.4 section 5.2.19).
pub mod data_coding {
    /// MC default alphabet; in practice GSM 03.38 7-bit.
    pub const DEFAULT: u8 = 0x00;
    /// Alias of [`DEFAULT`] for readers who think in GSM terms.
    pub const GSM7: u8 = 0x00;
    /// IA5 (CCITT T.50) / ASCII.
    pub const IA5: u8 = 0x01;
    /// 8-bit binary (3.4: "Octet unspecified").
    pub const BINARY_8BIT: u8 = 0x02;
    /// Latin-1 (ISO-8859-1).
    pub const LATIN1: u8 = 0x03;
    /// 8-bit binary.
    pub const BINARY: u8 = 0x04;
    /// JIS (X 0208-1990).
    pub const JIS: u8 = 0x05;
    /// Cyrillic (ISO-8859-5).
    pub const CYRILLIC: u8 = 0x06;
    /// Latin/Hebrew (ISO-8859-8).
    pub const HEBREW: u8 = 0x07;
    /// UCS-2 (ISO/IEC-10646), big-endian.
    pub const UCS2: u8 = 0x08;
    /// Pictogram encoding.
    pub const PICTOGRAM: u8 = 0x09;
    /// ISO-2022-JP (music codes).
    pub const ISO_2022_JP: u8 = 0x0A;
    /// Extended Kanji JIS (X 0212-1990).
    pub const KANJI_JIS: u8 = 0x0D;
    /// KS C 5601.
    pub const KS_C_5601: u8 = 0x0E;
}

/// Why text could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// A character has no representation in the target encoding.
    Unencodable {
        /// The first such character.
        ch: char,
        /// Its byte offset in the input string.
        index: usize,
    },
    /// A GSM 7-bit input octet is above 0x7F.
    InvalidSeptet {
        /// The octet.
        byte: u8,
        /// Its offset.
        index: usize,
    },
    /// UCS-2 input has an odd number of octets.
    OddLength,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TextError::Unencodable { ch, index } => {
                write!(
                    f,
                    "character {ch:?} (U+{:04X}) at offset {index} cannot be encoded",
                    ch as u32
                )
            }
            TextError::InvalidSeptet { byte, index } => {
                write!(
                    f,
                    "octet 0x{byte:02x} at offset {index} is not a GSM 7-bit septet"
                )
            }
            TextError::OddLength => f.write_str("UCS-2 text has an odd number of octets"),
        }
    }
}

impl std::error::Error for TextError {}

/// The text encodings a load generator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// GSM 03.38 7-bit, one septet per octet (unpacked), data_coding 0.
    Gsm7,
    /// ISO-8859-1, data_coding 3.
    Latin1,
    /// UTF-16BE (UCS-2 plus surrogate pairs), data_coding 8.
    Ucs2,
}

impl Coding {
    /// The `data_coding` value announcing this encoding.
    pub const fn data_coding(self) -> u8 {
        match self {
            Coding::Gsm7 => data_coding::GSM7,
            Coding::Latin1 => data_coding::LATIN1,
            Coding::Ucs2 => data_coding::UCS2,
        }
    }

    /// The coding a `data_coding` value announces, if it is one of these.
    pub const fn from_data_coding(dc: u8) -> Option<Coding> {
        match dc {
            data_coding::GSM7 => Some(Coding::Gsm7),
            data_coding::LATIN1 => Some(Coding::Latin1),
            data_coding::UCS2 => Some(Coding::Ucs2),
            _ => None,
        }
    }

    /// The cheapest coding that can carry `s`: GSM 7-bit if every
    /// character is in its tables, else UCS-2.
    pub fn best_for(s: &str) -> Coding {
        if gsm7::septets(s).is_some() {
            Coding::Gsm7
        } else {
            Coding::Ucs2
        }
    }

    /// Appends `s` in this coding; returns the octets written. On error
    /// nothing is appended.
    pub fn encode(self, s: &str, out: &mut Vec<u8>) -> Result<usize, TextError> {
        match self {
            Coding::Gsm7 => gsm7::encode_unpacked(s, out),
            Coding::Latin1 => latin1::encode(s, out),
            Coding::Ucs2 => Ok(ucs2::encode(s, out)),
        }
    }

    /// Appends the text in `b` (in this coding) to `out`.
    pub fn decode(self, b: &[u8], out: &mut String) -> Result<(), TextError> {
        match self {
            Coding::Gsm7 => gsm7::decode_unpacked(b, out),
            Coding::Latin1 => {
                latin1::decode(b, out);
                Ok(())
            }
            Coding::Ucs2 => ucs2::decode(b, out),
        }
    }
}

/// GSM 03.38 (3GPP TS 23.038) default alphabet and extension table.
pub mod gsm7 {
    use super::TextError;

    /// The escape septet that introduces an extension-table character.
    pub const ESC: u8 = 0x1B;

    /// The basic table: septet value -> character. 0x1B (ESC) maps to a
    /// non-breaking space here, the spec's display fallback.
    pub const BASIC: [char; 128] = [
        '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
        'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{a0}', 'Æ', 'æ', 'ß',
        'É', //
        ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
        '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
        'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
        '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
        'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
    ];

    /// The extension table: (septet after ESC, character).
    pub const EXTENSION: [(u8, char); 10] = [
        (0x0A, '\u{0C}'), // form feed
        (0x14, '^'),
        (0x28, '{'),
        (0x29, '}'),
        (0x2F, '\\'),
        (0x3C, '['),
        (0x3D, '~'),
        (0x3E, ']'),
        (0x40, '|'),
        (0x65, '€'),
    ];

    /// The septets for `c`: one for the basic table, ESC + one for the
    /// extension table.
    pub fn lookup(c: char) -> Option<(u8, Option<u8>)> {
        if let Some(i) = BASIC.iter().position(|&b| b == c) {
            if i != ESC as usize {
                return Some((i as u8, None));
            }
        }
        EXTENSION
            .iter()
            .find(|&&(_, e)| e == c)
            .map(|&(s, _)| (ESC, Some(s)))
    }

    /// Septets needed for `s`, or `None` if a character is not encodable.
    pub fn septets(s: &str) -> Option<usize> {
        s.chars().try_fold(0, |n, c| {
            lookup(c).map(|(_, e)| n + 1 + e.is_some() as usize)
        })
    }

    /// Appends `s` as unpacked septets (one per octet, as SMPP usually
    /// carries data_coding 0); returns the octets written. The error names
    /// the first unencodable character; nothing is appended then.
    pub fn encode_unpacked(s: &str, out: &mut Vec<u8>) -> Result<usize, TextError> {
        let start = out.len();
        for (index, ch) in s.char_indices() {
            match lookup(ch) {
                Some((b, None)) => out.push(b),
                Some((b, Some(e))) => out.extend_from_slice(&[b, e]),
                None => {
                    out.truncate(start);
                    return Err(TextError::Unencodable { ch, index });
                }
            }
        }
        Ok(out.len() - start)
    }

    /// Appends the text of unpacked septets to `out`. An ESC followed by a
    /// septet not in the extension table shows that septet from the basic
    /// table (the spec's fallback); a trailing ESC shows as a space.
    pub fn decode_unpacked(b: &[u8], out: &mut String) -> Result<(), TextError> {
        if let Some(index) = b.iter().position(|&x| x > 0x7F) {
            return Err(TextError::InvalidSeptet {
                byte: b[index],
                index,
            });
        }
        let mut it = b.iter();
        while let Some(&s) = it.next() {
            if s == ESC {
                match it.next() {
                    Some(&e) => out.push(
                        EXTENSION
                            .iter()
                            .find(|&&(x, _)| x == e)
                            .map_or(BASIC[e as usize], |&(_, c)| c),
                    ),
                    None => out.push(' '),
                }
            } else {
                out.push(BASIC[s as usize]);
            }
        }
        Ok(())
    }

    /// Packs septets (values 0..=0x7F, one per octet) 8 into 7 octets, LSB
    /// first (3GPP TS 23.038 section 6.1.2.1.1); returns the octets
    /// written, `ceil(7 * n / 8)`. Bit 7 of each input is ignored.
    pub fn pack(septets: &[u8], out: &mut Vec<u8>) -> usize {
        pack_with_fill(septets, 0, out)
    }

    /// As [`pack`], after `fill_bits` zero bits (0..=6), for septets that
    /// follow a UDH so the text starts on a septet boundary.
    pub fn pack_with_fill(septets: &[u8], fill_bits: u32, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let mut acc: u32 = 0;
        let mut bits = fill_bits % 7;
        for &s in septets {
            acc |= u32::from(s & 0x7F) << bits;
            bits += 7;
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        if bits > 0 {
            out.push(acc as u8);
        }
        out.len() - start
    }

    /// Unpacks `count` septets from packed octets (one septet per output
    /// octet); returns the septets written. Stops early if `packed` runs
    /// out.
    pub fn unpack(packed: &[u8], count: usize, out: &mut Vec<u8>) -> usize {
        unpack_with_fill(packed, 0, count, out)
    }

    /// As [`unpack`], skipping `fill_bits` (0..=6) first.
    pub fn unpack_with_fill(
        packed: &[u8],
        fill_bits: u32,
        count: usize,
        out: &mut Vec<u8>,
    ) -> usize {
        let start = out.len();
        let total_bits = packed.len() * 8;
        let mut bit = (fill_bits % 7) as usize;
        while out.len() - start < count && bit + 7 <= total_bits {
            let byte = bit / 8;
            let shift = bit % 8;
            let lo = u16::from(packed[byte]);
            let hi = packed.get(byte + 1).map_or(0, |&b| u16::from(b));
            out.push((((hi << 8 | lo) >> shift) & 0x7F) as u8);
            bit += 7;
        }
        out.len() - start
    }
}

/// UCS-2 / UTF-16 big-endian. Encoding writes UTF-16BE, so characters
/// outside the BMP become surrogate pairs (what handsets display);
/// decoding accepts the same and replaces unpaired surrogates with U+FFFD.
pub mod ucs2 {
    use super::TextError;

    /// Appends `s` as UTF-16BE; returns the octets written.
    pub fn encode(s: &str, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_be_bytes());
        }
        out.len() - start
    }

    /// Appends the text of UTF-16BE octets to `out`.
    pub fn decode(b: &[u8], out: &mut String) -> Result<(), TextError> {
        if b.len() % 2 != 0 {
            return Err(TextError::OddLength);
        }
        let units = b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
        Ok(())
    }
}

/// ISO-8859-1: each octet is the code point of the same value.
pub mod latin1 {
    use super::TextError;

    /// Appends `s` as Latin-1; returns the octets written. The error names
    /// the first character above U+00FF; nothing is appended then.
    pub fn encode(s: &str, out: &mut Vec<u8>) -> Result<usize, TextError> {
        if let Some((index, ch)) = s.char_indices().find(|&(_, c)| c as u32 > 0xFF) {
            return Err(TextError::Unencodable { ch, index });
        }
        let start = out.len();
        out.extend(s.chars().map(|c| c as u8));
        Ok(out.len() - start)
    }

    /// Appends the text of Latin-1 octets to `out`.
    pub fn decode(b: &[u8], out: &mut String) {
        out.extend(b.iter().map(|&c| c as char));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    #[test]
    fn every_basic_and_extension_char_round_trips() {
        for (i, &c) in gsm7::BASIC.iter().enumerate() {
            if i == gsm7::ESC as usize {
                continue;
            }
            let mut out = Vec::new();
            assert_eq!(
                gsm7::encode_unpacked(&c.to_string(), &mut out),
                Ok(1),
                "{c:?}"
            );
            assert_eq!(out, [i as u8]);
            let mut s = String::new();
            gsm7::decode_unpacked(&out, &mut s).unwrap();
            assert_eq!(s, c.to_string());
        }
        for &(sept, c) in &gsm7::EXTENSION {
            let mut out = Vec::new();
            assert_eq!(
                gsm7::encode_unpacked(&c.to_string(), &mut out),
                Ok(2),
                "{c:?}"
            );
            assert_eq!(out, [gsm7::ESC, sept]);
            let mut s = String::new();
            gsm7::decode_unpacked(&out, &mut s).unwrap();
            assert_eq!(s, c.to_string());
        }
        assert_eq!(gsm7::septets("^{}\\[~]|€\u{0C}"), Some(20));
    }

    #[test]
    fn gsm7_errors_and_fallbacks() {
        let mut out = b"x".to_vec();
        assert_eq!(
            gsm7::encode_unpacked("ok 😀", &mut out),
            Err(TextError::Unencodable {
                ch: '😀', index: 3
            })
        );
        assert_eq!(out, b"x");
        assert_eq!(gsm7::septets("ça"), None);
        let mut s = String::new();
        assert_eq!(
            gsm7::decode_unpacked(&[0x41, 0x80], &mut s),
            Err(TextError::InvalidSeptet {
                byte: 0x80,
                index: 1
            })
        );
        // Unknown extension falls back to the basic table; trailing ESC is a space.
        let mut s = String::new();
        gsm7::decode_unpacked(&[0x1B, 0x41, 0x42, 0x1B], &mut s).unwrap();
        assert_eq!(s, "AB ");
    }

    #[test]
    fn packing_known_vectors() {
        let cases: &[(&str, &str)] = &[
            ("hellohello", "E8329BFD4697D9EC37"),
            ("hello", "E8329BFD06"),
            ("1234567", "31D98C56B3DD00"),
            ("12345678", "31D98C56B3DD70"),
            ("", ""),
        ];
        for &(text, want) in cases {
            let mut septets = Vec::new();
            gsm7::encode_unpacked(text, &mut septets).unwrap();
            let mut packed = Vec::new();
            let n = gsm7::pack(&septets, &mut packed);
            assert_eq!(n, (septets.len() * 7).div_ceil(8));
            assert_eq!(hex(&packed), want, "{text}");
            let mut back = Vec::new();
            assert_eq!(
                gsm7::unpack(&packed, septets.len(), &mut back),
                septets.len()
            );
            assert_eq!(back, septets);
        }
        // With fill bits after a 6-octet UDH (1 fill bit).
        let mut packed = Vec::new();
        gsm7::pack_with_fill(b"\x68\x69", 1, &mut packed);
        let mut back = Vec::new();
        gsm7::unpack_with_fill(&packed, 1, 2, &mut back);
        assert_eq!(back, b"\x68\x69");
    }

    #[test]
    fn ucs2_with_surrogate_pair() {
        let mut out = Vec::new();
        assert_eq!(ucs2::encode("Hi😀", &mut out), 8);
        assert_eq!(hex(&out), "00480069D83DDE00");
        let mut s = String::new();
        ucs2::decode(&out, &mut s).unwrap();
        assert_eq!(s, "Hi😀");
        assert_eq!(ucs2::decode(&out[..3], &mut s), Err(TextError::OddLength));
        let mut s = String::new();
        ucs2::decode(&[0xD8, 0x3D, 0x00, 0x41], &mut s).unwrap();
        assert_eq!(s, "\u{FFFD}A");
    }

    #[test]
    fn latin1_round_trip_and_error() {
        let mut out = Vec::new();
        assert_eq!(latin1::encode("café ÿ", &mut out), Ok(6));
        assert_eq!(out, b"caf\xe9 \xff");
        let mut s = String::new();
        latin1::decode(&out, &mut s);
        assert_eq!(s, "café ÿ");
        assert_eq!(
            latin1::encode("a€", &mut out),
            Err(TextError::Unencodable {
                ch: '€', index: 1
            })
        );
    }

    #[test]
    fn coding_helpers() {
        for c in [Coding::Gsm7, Coding::Latin1, Coding::Ucs2] {
            assert_eq!(Coding::from_data_coding(c.data_coding()), Some(c));
            let mut out = Vec::new();
            c.encode("Hello {x}", &mut out).unwrap();
            let mut s = String::new();
            c.decode(&out, &mut s).unwrap();
            assert_eq!(s, "Hello {x}");
        }
        assert_eq!(Coding::best_for("plain €"), Coding::Gsm7);
        assert_eq!(Coding::best_for("привет"), Coding::Ucs2);
    }
}

//! Country and network owner (autonomous system) of an address, from
//! MaxMind-format databases (`.mmdb`: GeoLite2/GeoIP2 Country, City and
//! ASN, and the free DB-IP and IPinfo "lite" files in the same format),
//! read with the `maxminddb` crate. Nothing is looked up on the network:
//! the files are read once into memory, and an address is looked up only
//! when it is shown (a host, server or conversation row), never per frame.
//!
//! Several files may be given (a country file and an ASN file, typically);
//! for each field the first file that has it for the address wins.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What the databases say of one address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Geo {
    /// ISO 3166-1 alpha-2 country code (`NL`): where the address is, else
    /// the country it is registered in.
    pub country: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// The autonomous system's organisation.
    pub as_org: Option<String>,
}

impl Geo {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.country.is_none() && self.asn.is_none() && self.as_org.is_none()
    }
}

/// A `--geoip` file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "--geoip {path}: {message}; give a MaxMind-format database (.mmdb), such as GeoLite2-Country.mmdb or GeoLite2-ASN.mmdb"
)]
pub struct GeoError {
    /// The file as given.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// The `--geoip` databases, loaded.
pub struct GeoDb {
    readers: Vec<(PathBuf, maxminddb::Reader<Vec<u8>>)>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.readers.iter().map(|(path, _)| path))
            .finish()
    }
}

/// The fields read from a record, whichever kind of database it comes
/// from; anything else in the record is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<CountryRecord<'a>>,
    #[serde(borrow)]
    registered_country: Option<CountryRecord<'a>>,
    /// Read as any integer (databases differ in its width), then checked.
    autonomous_system_number: Option<i64>,
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CountryRecord<'a> {
    iso_code: Option<&'a str>,
}

impl GeoDb {
    /// Loads every file (each is read into memory once).
    pub fn open(paths: &[PathBuf]) -> Result<GeoDb, GeoError> {
        let readers = paths
            .iter()
            .map(|path| {
                let fail = |message: String| GeoError {
                    path: path.display().to_string(),
                    message,
                };
                let bytes =
                    std::fs::read(path).map_err(|err| fail(format!("cannot read it: {err}")))?;
                let reader = maxminddb::Reader::from_source(bytes)
                    .map_err(|err| fail(format!("not a MaxMind DB file: {err}")))?;
                Ok((path.clone(), reader))
            })
            .collect::<Result<_, _>>()?;
        Ok(GeoDb { readers })
    }

    /// The files, as given.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.readers.iter().map(|(path, _)| path.as_path())
    }

    /// What the files say of `addr` (nothing for private and other
    /// addresses they do not list). A record of an unexpected shape counts
    /// as nothing, for that file.
    pub fn lookup(&self, addr: IpAddr) -> Geo {
        let mut geo = Geo::default();
        for (_, reader) in &self.readers {
            let Ok(found) = reader.lookup(addr) else {
                continue;
            };
            let Ok(Some(record)) = found.decode::<Record<'_>>() else {
                continue;
            };
            if geo.country.is_none() {
                geo.country = record
                    .country
                    .and_then(|c| c.iso_code)
                    .or(record.registered_country.and_then(|c| c.iso_code))
                    .filter(|code| code.len() <= 3)
                    .map(str::to_owned);
            }
            if geo.asn.is_none() {
                geo.asn = record
                    .autonomous_system_number
                    .and_then(|asn| u32::try_from(asn).ok());
            }
            if geo.as_org.is_none() {
                geo.as_org = record.autonomous_system_organization.map(str::to_owned);
            }
        }
        geo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_no_database_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("GeoLite2-Country.mmdb");
        let err = GeoDb::open(std::slice::from_ref(&missing)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("--geoip {}: cannot read it", missing.display()))
        );
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database").unwrap();
        let err = GeoDb::open(std::slice::from_ref(&text)).unwrap_err();
        assert!(err.to_string().contains("not a MaxMind DB file"), "{err}");
    }

    #[test]
    fn nothing_known_is_empty() {
        assert!(Geo::default().is_empty());
        assert!(
            !Geo {
                asn: Some(1),
                ..Geo::default()
            }
            .is_empty()
        );
    }
}

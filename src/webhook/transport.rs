//! One callback request: `POST url?SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=`
//! (+ `RequestTime` and `Sign` when a token is set), JSON body, deadline.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Settings;

/// Where an event came from, as the callback's query reports it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub sdkappid: u64,
    pub client_ip: String,
    /// `RESTAPI` for REST calls, `Web` for the Web SDK.
    pub platform: &'static str,
}

impl Origin {
    pub fn rest(sdkappid: u64, client_ip: String) -> Self {
        Self { sdkappid, client_ip, platform: "RESTAPI" }
    }

    pub fn web(sdkappid: u64, client_ip: String) -> Self {
        Self { sdkappid, client_ip, platform: "Web" }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("callbacks are off")]
    Off,
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(reqwest::StatusCode),
}

/// hex(sha256(token + request_time)), as Tencent signs callbacks.
pub fn sign(token: &str, request_time: u64) -> String {
    hex::encode(
        Sha256::new().chain_update(token.as_bytes()).chain_update(request_time.to_string().as_bytes()).finalize(),
    )
}

pub(super) async fn post(
    client: &reqwest::Client,
    settings: &Settings,
    origin: &Origin,
    command: &str,
    body: &Map<String, Value>,
) -> Result<Value, PostError> {
    let mut url = settings.url.clone().ok_or(PostError::Off)?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("SdkAppid", &origin.sdkappid.to_string())
            .append_pair("CallbackCommand", command)
            .append_pair("contenttype", "json")
            .append_pair("ClientIP", &origin.client_ip)
            .append_pair("OptPlatform", origin.platform);
        if !settings.token.is_empty() {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            query.append_pair("RequestTime", &now.to_string()).append_pair("Sign", &sign(&settings.token, now));
        }
    }
    let response = client.post(url).json(body).timeout(settings.timeout).send().await?;
    if !response.status().is_success() {
        return Err(PostError::Status(response.status()));
    }
    // An after-callback's reply is ignored; an unreadable one is fine there.
    Ok(response.json::<Value>().await.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_matches_tencents_documented_example() {
        assert_eq!(
            super::sign("xxxxyyyy", 1669872112),
            "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
        );
    }
}

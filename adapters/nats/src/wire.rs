//! How a [`ClusterEvent`] travels: one line of JSON naming the publishing node and the
//! event, then, for a delivery, the frame's bytes exactly as encoded once by the publisher.

use application::ports::{ClusterEvent, Forget, Frame, LimiterChange, RemoteCall, SlashChange, Target, VoiceChange};
use application::slash::{OptionKind, SlashCommand, SlashOption};
use bytes::{BufMut, Bytes, BytesMut};
use domain::{RawJson, UserId};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Head {
    Everyone {
        n: String,
    },
    Channel {
        n: String,
        c: String,
    },
    User {
        n: String,
        u: String,
    },
    Close {
        n: String,
        u: String,
        code: u16,
        reason: String,
    },
    ForgetUser {
        n: String,
        u: String,
    },
    ForgetRoles {
        n: String,
    },
    ForgetChannels {
        n: String,
        c: Vec<String>,
    },
    ForgetMessages {
        n: String,
        c: String,
    },
    ForgetEmojis {
        n: String,
    },
    ForgetServer {
        n: String,
    },
    ChannelLists {
        n: String,
    },
    Taken {
        n: String,
        u: String,
        p: String,
        at: f64,
    },
    Cleared {
        n: String,
        u: String,
    },
    Reset {
        n: String,
        u: String,
    },
    VoiceJoined {
        n: String,
        u: String,
        c: String,
        name: String,
        peer: String,
    },
    VoiceMuted {
        n: String,
        u: String,
        muted: bool,
    },
    VoiceLeft {
        n: String,
        u: String,
    },
    VoicePresent {
        n: String,
        u: String,
        c: String,
        name: String,
        peer: String,
        muted: bool,
    },
    Hello {
        n: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answer: bool,
    },
    SlashRegistered {
        n: String,
        conn: u64,
        u: String,
        name: String,
        cmds: Vec<Command>,
    },
    SlashRemoved {
        n: String,
        conn: u64,
    },
    SlashCall(Box<Call>),
    SlashAnswered {
        n: String,
        to: String,
        id: u64,
    },
}

#[derive(Serialize, Deserialize)]
struct Call {
    n: String,
    to: String,
    bot: u64,
    id: u64,
    u: String,
    name: String,
    c: String,
    cmd: String,
    eph: bool,
    at: f64,
    args: String,
    by: String,
}

#[derive(Serialize, Deserialize)]
struct Command {
    name: String,
    desc: String,
    white: Option<Vec<String>>,
    black: Option<Vec<String>>,
    opts: Vec<Opt>,
    eph: bool,
}

#[derive(Serialize, Deserialize)]
struct Opt {
    name: String,
    desc: String,
    kind: String,
    choices: Option<Vec<String>>,
    required: bool,
}

impl Command {
    fn of(c: &SlashCommand) -> Self {
        Self {
            name: c.name.clone(),
            desc: c.description.clone(),
            white: c.whitelist.clone(),
            black: c.blacklist.clone(),
            opts: c
                .options
                .iter()
                .map(|o| Opt {
                    name: o.name.clone(),
                    desc: o.description.clone(),
                    kind: o.kind.as_str().to_owned(),
                    choices: o.choices.clone(),
                    required: o.required,
                })
                .collect(),
            eph: c.ephemeral,
        }
    }

    fn into_command(self) -> Result<SlashCommand, String> {
        let mut options = vec![];
        for o in self.opts {
            let kind = OptionKind::parse(&o.kind).ok_or_else(|| format!("unknown option type {:?}", o.kind))?;
            options.push(SlashOption {
                name: o.name,
                description: o.desc,
                kind,
                choices: o.choices,
                required: o.required,
            });
        }
        Ok(SlashCommand {
            name: self.name,
            description: self.desc,
            whitelist: self.white,
            blacklist: self.black,
            options,
            ephemeral: self.eph,
        })
    }
}

/// Encodes `event` from `node`.
pub fn encode(node: &str, event: &ClusterEvent) -> Bytes {
    let n = node.to_owned();
    let (head, frame) = match event {
        ClusterEvent::Deliver { target, frame } => (
            match target {
                Target::Everyone => Head::Everyone { n },
                Target::Channel(c) => Head::Channel { n, c: c.clone() },
                Target::User(u) => Head::User { n, u: u.0.clone() },
            },
            Some(frame),
        ),
        ClusterEvent::CloseUser { user, code, reason } => {
            (Head::Close { n, u: user.0.clone(), code: *code, reason: reason.clone() }, None)
        }
        ClusterEvent::Forget(f) => (
            match f {
                Forget::User(u) => Head::ForgetUser { n, u: u.0.clone() },
                Forget::Roles => Head::ForgetRoles { n },
                Forget::Channels(c) => Head::ForgetChannels { n, c: c.clone() },
                Forget::Messages(c) => Head::ForgetMessages { n, c: c.clone() },
                Forget::Emojis => Head::ForgetEmojis { n },
                Forget::Server => Head::ForgetServer { n },
            },
            None,
        ),
        ClusterEvent::ChannelLists => (Head::ChannelLists { n }, None),
        ClusterEvent::Limiter(change) => (
            match change {
                LimiterChange::Taken { user, purpose, at } => {
                    Head::Taken { n, u: user.0.clone(), p: purpose.clone(), at: *at }
                }
                LimiterChange::Cleared(u) => Head::Cleared { n, u: u.0.clone() },
                LimiterChange::Reset(u) => Head::Reset { n, u: u.0.clone() },
            },
            None,
        ),
        ClusterEvent::Voice(change) => (
            match change {
                VoiceChange::Joined { channel, user, username, peer_id } => Head::VoiceJoined {
                    n,
                    u: user.0.clone(),
                    c: channel.clone(),
                    name: username.clone(),
                    peer: peer_id.clone(),
                },
                VoiceChange::Muted { user, muted } => Head::VoiceMuted { n, u: user.0.clone(), muted: *muted },
                VoiceChange::Left(u) => Head::VoiceLeft { n, u: u.0.clone() },
                VoiceChange::Present { channel, user, username, peer_id, muted } => Head::VoicePresent {
                    n,
                    u: user.0.clone(),
                    c: channel.clone(),
                    name: username.clone(),
                    peer: peer_id.clone(),
                    muted: *muted,
                },
            },
            None,
        ),
        ClusterEvent::Hello { answer } => (Head::Hello { n, answer: *answer }, None),
        ClusterEvent::Slash(change) => (
            match change {
                SlashChange::Registered { conn, user, username, commands } => Head::SlashRegistered {
                    n,
                    conn: *conn,
                    u: user.0.clone(),
                    name: username.clone(),
                    cmds: commands.iter().map(Command::of).collect(),
                },
                SlashChange::Removed { conn } => Head::SlashRemoved { n, conn: *conn },
                SlashChange::Call(c) => Head::SlashCall(Box::new(Call {
                    n,
                    to: c.to.clone(),
                    bot: c.bot,
                    id: c.id,
                    u: c.invoker.0.clone(),
                    name: c.invoker_username.clone(),
                    c: c.channel.clone(),
                    cmd: c.command.clone(),
                    eph: c.ephemeral,
                    at: c.at,
                    args: c.args.0.clone(),
                    by: c.commander.clone(),
                })),
                SlashChange::Answered { node, call } => Head::SlashAnswered { n, to: node.clone(), id: *call },
            },
            None,
        ),
    };
    let head = serde_json::to_vec(&head).unwrap_or_default();
    let mut out = BytesMut::with_capacity(head.len() + 1 + frame.map_or(0, |f| f.bytes().len()));
    out.put_slice(&head);
    out.put_u8(b'\n');
    if let Some(f) = frame {
        out.put_slice(f.bytes());
    }
    out.freeze()
}

/// Decodes an event: the publishing node and the event.
pub fn decode(payload: &[u8]) -> Result<(String, ClusterEvent), String> {
    let split = payload.iter().position(|b| *b == b'\n').ok_or("no header line")?;
    let head: Head = serde_json::from_slice(&payload[..split]).map_err(|e| e.to_string())?;
    let body = || Frame::new(String::from_utf8_lossy(&payload[split + 1..]).into_owned());
    let deliver = |target| ClusterEvent::Deliver { target, frame: body() };
    Ok(match head {
        Head::Everyone { n } => (n, deliver(Target::Everyone)),
        Head::Channel { n, c } => (n, deliver(Target::Channel(c))),
        Head::User { n, u } => (n, deliver(Target::User(UserId(u)))),
        Head::Close { n, u, code, reason } => (n, ClusterEvent::CloseUser { user: UserId(u), code, reason }),
        Head::ForgetUser { n, u } => (n, ClusterEvent::Forget(Forget::User(UserId(u)))),
        Head::ForgetRoles { n } => (n, ClusterEvent::Forget(Forget::Roles)),
        Head::ForgetChannels { n, c } => (n, ClusterEvent::Forget(Forget::Channels(c))),
        Head::ForgetMessages { n, c } => (n, ClusterEvent::Forget(Forget::Messages(c))),
        Head::ForgetEmojis { n } => (n, ClusterEvent::Forget(Forget::Emojis)),
        Head::ForgetServer { n } => (n, ClusterEvent::Forget(Forget::Server)),
        Head::ChannelLists { n } => (n, ClusterEvent::ChannelLists),
        Head::Taken { n, u, p, at } => {
            (n, ClusterEvent::Limiter(LimiterChange::Taken { user: UserId(u), purpose: p, at }))
        }
        Head::Cleared { n, u } => (n, ClusterEvent::Limiter(LimiterChange::Cleared(UserId(u)))),
        Head::Reset { n, u } => (n, ClusterEvent::Limiter(LimiterChange::Reset(UserId(u)))),
        Head::VoiceJoined { n, u, c, name, peer } => {
            (n, ClusterEvent::Voice(VoiceChange::Joined { channel: c, user: UserId(u), username: name, peer_id: peer }))
        }
        Head::VoiceMuted { n, u, muted } => (n, ClusterEvent::Voice(VoiceChange::Muted { user: UserId(u), muted })),
        Head::VoiceLeft { n, u } => (n, ClusterEvent::Voice(VoiceChange::Left(UserId(u)))),
        Head::VoicePresent { n, u, c, name, peer, muted } => (
            n,
            ClusterEvent::Voice(VoiceChange::Present {
                channel: c,
                user: UserId(u),
                username: name,
                peer_id: peer,
                muted,
            }),
        ),
        Head::Hello { n, answer } => (n, ClusterEvent::Hello { answer }),
        Head::SlashRegistered { n, conn, u, name, cmds } => {
            let commands = cmds.into_iter().map(Command::into_command).collect::<Result<Vec<_>, _>>()?;
            (n, ClusterEvent::Slash(SlashChange::Registered { conn, user: UserId(u), username: name, commands }))
        }
        Head::SlashRemoved { n, conn } => (n, ClusterEvent::Slash(SlashChange::Removed { conn })),
        Head::SlashCall(c) => {
            let c = *c;
            let call = RemoteCall {
                to: c.to,
                bot: c.bot,
                id: c.id,
                invoker: UserId(c.u),
                invoker_username: c.name,
                channel: c.c,
                command: c.cmd,
                ephemeral: c.eph,
                at: c.at,
                args: RawJson(c.args),
                commander: c.by,
            };
            (c.n, ClusterEvent::Slash(SlashChange::Call(call)))
        }
        Head::SlashAnswered { n, to, id } => (n, ClusterEvent::Slash(SlashChange::Answered { node: to, call: id })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let events = [
            ClusterEvent::Deliver {
                target: Target::Channel("général\n".into()),
                frame: Frame::new("{\"a\":\"\\n\"}".into()),
            },
            ClusterEvent::Deliver { target: Target::Everyone, frame: Frame::new(String::new()) },
            ClusterEvent::Deliver { target: Target::User(UserId("u1".into())), frame: Frame::new("x".into()) },
            ClusterEvent::CloseUser { user: UserId("u".into()), code: 1008, reason: "banned".into() },
            ClusterEvent::Forget(Forget::User(UserId("u".into()))),
            ClusterEvent::Forget(Forget::Roles),
            ClusterEvent::Forget(Forget::Channels(vec!["a".into()])),
            ClusterEvent::Forget(Forget::Messages("a".into())),
            ClusterEvent::Forget(Forget::Emojis),
            ClusterEvent::Forget(Forget::Server),
            ClusterEvent::ChannelLists,
            ClusterEvent::Limiter(LimiterChange::Taken { user: UserId("u".into()), purpose: "typing".into(), at: 1.5 }),
            ClusterEvent::Limiter(LimiterChange::Cleared(UserId("u".into()))),
            ClusterEvent::Limiter(LimiterChange::Reset(UserId("u".into()))),
            ClusterEvent::Voice(VoiceChange::Joined {
                channel: "vc".into(),
                user: UserId("u".into()),
                username: "ü".into(),
                peer_id: "p\n".into(),
            }),
            ClusterEvent::Voice(VoiceChange::Muted { user: UserId("u".into()), muted: true }),
            ClusterEvent::Voice(VoiceChange::Left(UserId("u".into()))),
            ClusterEvent::Voice(VoiceChange::Present {
                channel: "vc".into(),
                user: UserId("u".into()),
                username: "n".into(),
                peer_id: "p".into(),
                muted: true,
            }),
            ClusterEvent::Hello { answer: false },
            ClusterEvent::Hello { answer: true },
            ClusterEvent::Slash(SlashChange::Registered {
                conn: 7,
                user: UserId("b".into()),
                username: "bot".into(),
                commands: vec![SlashCommand {
                    name: "roll".into(),
                    description: "Roll".into(),
                    whitelist: Some(vec!["user".into()]),
                    blacklist: None,
                    options: vec![SlashOption {
                        name: "sides".into(),
                        description: "Sides".into(),
                        kind: OptionKind::Enum,
                        choices: Some(vec!["4".into(), "6".into()]),
                        required: false,
                    }],
                    ephemeral: true,
                }],
            }),
            ClusterEvent::Slash(SlashChange::Removed { conn: 7 }),
            ClusterEvent::Slash(SlashChange::Call(RemoteCall {
                to: "n2".into(),
                bot: 7,
                id: 3,
                invoker: UserId("u".into()),
                invoker_username: "ü".into(),
                channel: "general".into(),
                command: "roll".into(),
                ephemeral: false,
                at: 1.25,
                args: RawJson("{\"sides\":\"6\"}".into()),
                commander: "bot".into(),
            })),
            ClusterEvent::Slash(SlashChange::Answered { node: "n1".into(), call: 3 }),
        ];
        for e in events {
            assert_eq!(decode(&encode("n1", &e)), Ok(("n1".to_owned(), e)));
        }
    }
}

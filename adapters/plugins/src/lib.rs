//! The plugin host: built-in plugins (`welcome`, `automod`) and rhai scripts from the
//! plugins folder, each on a thread of its own, reloaded when their files change.
//!
//! - [`builtin`]: what a built-in is; [`welcome`], [`automod`]: the two built-ins;
//! - [`script`]: script plugins and their limits;
//! - [`worker`]: the per-plugin thread and queue;
//! - [`event`]: the data each event carries.

pub mod automod;
pub mod builtin;
pub mod event;
pub mod script;
pub mod welcome;
pub mod worker;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use application::ports::{ActionSender, Draft, PluginEvent, PluginHost, PluginInfo, Requested, Screening};
use async_trait::async_trait;
use notify::Watcher;

use builtin::Builtin;
pub use script::Limits;
use script::Script;
use worker::{Fault, Handler, Worker};

/// Built-ins this server has.
pub const BUILTINS: [&str; 2] = ["welcome", "automod"];

/// How the host is configured (`plugins.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSettings {
    /// Built-ins to run, in order (`plugins.enabled`).
    pub enabled: Vec<String>,
    /// The plugins folder (scripts and the built-ins' files).
    pub dir: PathBuf,
    /// Bounds of script runs.
    pub limits: Limits,
}

enum Kind {
    Builtin { plugin: Arc<dyn Builtin>, files: u64 },
    Script { source: u64 },
}

/// Whether a plugin runs.
enum Run {
    /// On its thread.
    Worker(Worker),
    /// A script that did not load, and why: it stays listed, handling nothing, until its
    /// file changes or it is reloaded.
    Refused(String),
}

struct Slot {
    key: String,
    name: String,
    description: String,
    handles: Vec<String>,
    run: Run,
    kind: Kind,
}

impl Slot {
    fn stopped(&self) -> Option<String> {
        match &self.run {
            Run::Worker(worker) => worker.stopped(),
            Run::Refused(why) => Some(why.clone()),
        }
    }
}

struct BuiltinHandler(Arc<dyn Builtin>);

impl Handler for BuiltinHandler {
    fn handle(&mut self, event: &PluginEvent) -> Result<Vec<application::ports::PluginAction>, Fault> {
        Ok(self.0.handle(event))
    }
}

fn fingerprint(paths: impl IntoIterator<Item = PathBuf>) -> u64 {
    let mut h = DefaultHasher::new();
    for p in paths {
        std::fs::read(&p).ok().hash(&mut h);
    }
    h.finish()
}

/// The running plugins.
pub struct PluginSet {
    settings: PluginSettings,
    actions: ActionSender,
    slots: RwLock<Vec<Slot>>,
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    control: Mutex<Option<Sender<Control>>>,
}

impl PluginSet {
    /// Loads the enabled built-ins and every script of the folder, and starts watching it.
    pub fn start(settings: PluginSettings, actions: ActionSender) -> Arc<Self> {
        if let Err(e) = std::fs::create_dir_all(&settings.dir) {
            tracing::warn!(dir = %settings.dir.display(), error = %e, "plugins folder unavailable");
        }
        let (control, requests) = std::sync::mpsc::channel();
        let set = Arc::new(Self {
            settings,
            actions,
            slots: RwLock::default(),
            watcher: Mutex::default(),
            control: Mutex::new(Some(control)),
        });
        let mut slots: Vec<Slot> = set.settings.enabled.iter().filter_map(|name| set.builtin(name)).collect();
        for (key, path) in set.scripts_on_disk() {
            slots.push(set.script_slot(&key, &path));
        }
        *set.slots.write().unwrap_or_else(|p| p.into_inner()) = slots;
        set.watch(requests);
        for info in set.list().into_iter().filter(|p| p.stopped.is_none()) {
            tracing::info!(plugin = %info.key, handles = ?info.handles, "plugin loaded");
        }
        set
    }

    fn builtin(&self, name: &str) -> Option<Slot> {
        let dir = self.settings.dir.clone();
        let plugin: Arc<dyn Builtin> = match name {
            "welcome" => Arc::new(welcome::Welcome::new(dir)),
            "automod" => Arc::new(automod::Automod::new(dir)),
            "cli" => {
                tracing::warn!(
                    "plugins.enabled lists \"cli\": it is not carried over (use the real commands); ignored"
                );
                return None;
            }
            other => {
                tracing::warn!("plugins.enabled lists {other:?}, which is no built-in plugin; ignored");
                return None;
            }
        };
        if let Err(e) = plugin.reload() {
            tracing::warn!(plugin = name, error = %e, "plugin config unreadable; using its defaults");
        }
        let files = fingerprint(self.files_of(plugin.as_ref()));
        let limits = &self.settings.limits;
        let worker = Worker::spawn(
            name,
            Box::new(BuiltinHandler(plugin.clone())),
            self.actions.clone(),
            limits.queue,
            limits.pending_actions,
        )
        .map_err(|e| tracing::error!(plugin = name, error = %e, "cannot start plugin thread"))
        .ok()?;
        Some(Slot {
            key: plugin.key().into(),
            name: plugin.name().into(),
            description: plugin.description().into(),
            handles: plugin.handles().iter().map(|h| h.to_string()).collect(),
            run: Run::Worker(worker),
            kind: Kind::Builtin { plugin, files },
        })
    }

    fn files_of(&self, plugin: &dyn Builtin) -> Vec<PathBuf> {
        plugin.config_files().iter().map(|f| self.settings.dir.join(f)).collect()
    }

    /// The plugin of a script file: running, or refused with the reason.
    fn script_slot(&self, key: &str, path: &Path) -> Slot {
        let source = fingerprint([path.to_path_buf()]);
        let refused = |why: String| Slot {
            key: key.into(),
            name: key.into(),
            description: String::new(),
            handles: vec![],
            run: Run::Refused(format!("not loaded: {why}")),
            kind: Kind::Script { source },
        };
        let script = match Script::load(path, &self.settings.limits) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(plugin = key, error = %e, "script plugin not loaded");
                return refused(e);
            }
        };
        let (name, description, handles) = (script.name.clone(), script.description.clone(), script.handles.clone());
        let limits = &self.settings.limits;
        match Worker::spawn(key, Box::new(script), self.actions.clone(), limits.queue, limits.pending_actions) {
            Ok(worker) => Slot {
                key: key.into(),
                name,
                description,
                handles,
                run: Run::Worker(worker),
                kind: Kind::Script { source },
            },
            Err(e) => {
                tracing::error!(plugin = key, error = %e, "cannot start plugin thread");
                refused(format!("cannot start its thread: {e}"))
            }
        }
    }

    /// `*.rhai` files of the folder, by key (file stem), sorted.
    fn scripts_on_disk(&self) -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.settings.dir) else { return vec![] };
        let mut found: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rhai"))
            .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), p)))
            .filter(|(k, _)| !BUILTINS.contains(&k.as_str()))
            .collect();
        found.sort();
        found
    }

    fn slots(&self) -> std::sync::RwLockReadGuard<'_, Vec<Slot>> {
        self.slots.read().unwrap_or_else(|p| p.into_inner())
    }

    fn slots_mut(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Slot>> {
        self.slots.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `slot` in place of the plugin `key` (or at the end), or removes it with `None`.
    fn replace(&self, key: &str, slot: Option<Slot>) {
        let mut slots = self.slots_mut();
        let at = slots.iter().position(|s| s.key == key);
        match (at, slot) {
            (Some(i), Some(s)) => slots[i] = s,
            (Some(i), None) => {
                slots.remove(i);
            }
            (None, Some(s)) => slots.push(s),
            (None, None) => {}
        }
    }

    /// Reloads one script from disk; false when it is gone (it is then unloaded) or does
    /// not load (it then stays listed with the reason).
    fn reload_script(&self, key: &str) -> bool {
        let path = self.settings.dir.join(format!("{key}.rhai"));
        let slot = path.is_file().then(|| self.script_slot(key, &path));
        let loaded = slot.as_ref().is_some_and(|s| matches!(s.run, Run::Worker(_)));
        self.replace(key, slot);
        if loaded {
            tracing::info!(plugin = key, "script plugin reloaded");
        }
        loaded
    }

    fn builtins(&self) -> Vec<Arc<dyn Builtin>> {
        self.slots()
            .iter()
            .filter_map(|s| match &s.kind {
                Kind::Builtin { plugin, .. } => Some(plugin.clone()),
                Kind::Script { .. } => None,
            })
            .collect()
    }

    fn reload_builtin(&self, plugin: &Arc<dyn Builtin>) -> bool {
        let key = plugin.key();
        let ok = match plugin.reload() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(plugin = key, error = %e, "plugin config unreadable; keeping the previous one");
                false
            }
        };
        let files = fingerprint(self.files_of(plugin.as_ref()));
        if let Some(slot) = self.slots_mut().iter_mut().find(|s| s.key == key)
            && let Kind::Builtin { files: f, .. } = &mut slot.kind
        {
            *f = files;
        }
        ok
    }

    /// Brings the loaded plugins in line with the folder: new and changed scripts load,
    /// deleted ones go, built-ins whose files changed re-read them.
    pub fn rescan(&self) {
        let on_disk = self.scripts_on_disk();
        let loaded: Vec<(String, u64)> = self
            .slots()
            .iter()
            .filter_map(|s| match s.kind {
                Kind::Script { source } => Some((s.key.clone(), source)),
                Kind::Builtin { .. } => None,
            })
            .collect();
        for (key, path) in &on_disk {
            let current = loaded.iter().find(|(k, _)| k == key).map(|(_, fp)| *fp);
            if current != Some(fingerprint([path.clone()])) {
                self.reload_script(key);
            }
        }
        for (key, _) in loaded.iter().filter(|(k, _)| !on_disk.iter().any(|(d, _)| d == k)) {
            tracing::info!(plugin = %key, "script plugin removed");
            self.replace(key, None);
        }
        for plugin in self.builtins() {
            let now = fingerprint(self.files_of(plugin.as_ref()));
            let before = self.slots().iter().find(|s| s.key == plugin.key()).and_then(|s| match s.kind {
                Kind::Builtin { files, .. } => Some(files),
                Kind::Script { .. } => None,
            });
            if before != Some(now) {
                self.reload_builtin(&plugin);
            }
        }
    }

    /// Starts the control thread, which does all later (re)loading — script top levels
    /// and `info()` run there, never on the async workers — and the folder watcher that
    /// feeds it. Changes are debounced, then [`PluginSet::rescan`] runs.
    fn watch(self: &Arc<Self>, control: Receiver<Control>) {
        let tx = self.control.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| !e.kind.is_access())
                && let Some(tx) = &tx
            {
                let _ = tx.send(Control::Changed);
            }
        });
        match watcher {
            Ok(mut w) => match w.watch(&self.settings.dir, notify::RecursiveMode::NonRecursive) {
                Ok(()) => *self.watcher.lock().unwrap_or_else(|p| p.into_inner()) = Some(w),
                Err(e) => {
                    tracing::warn!(dir = %self.settings.dir.display(), error = %e, "plugin hot reload unavailable")
                }
            },
            Err(e) => tracing::warn!(error = %e, "plugin hot reload unavailable"),
        }
        let set: Weak<Self> = Arc::downgrade(self);
        let spawned = std::thread::Builder::new().name("plugin-control".into()).spawn(move || {
            while let Ok(first) = control.recv() {
                let mut changed = false;
                let mut pending = vec![first];
                while let Some(next) = pending.pop() {
                    match next {
                        Control::Changed => {
                            changed = true;
                            // Debounce: a save is often several events.
                            if let Ok(more) = control.recv_timeout(Duration::from_millis(150)) {
                                pending.push(more);
                            }
                        }
                        Control::Reload(plugin, reply) => {
                            let Some(set) = set.upgrade() else { return };
                            let _ = reply.send(set.reload_now(plugin));
                        }
                    }
                }
                if changed {
                    match set.upgrade() {
                        Some(set) => set.rescan(),
                        None => return,
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "plugin control thread unavailable: no hot reload, no plugins_reload");
        }
    }

    /// Reloads one plugin or all of them, on the calling thread (the control thread).
    fn reload_now(&self, plugin: Option<String>) -> Result<(), String> {
        let Some(key) = plugin else {
            for b in self.builtins() {
                self.reload_builtin(&b);
            }
            let scripts: Vec<String> =
                self.slots().iter().filter(|s| matches!(s.kind, Kind::Script { .. })).map(|s| s.key.clone()).collect();
            for key in scripts {
                self.replace(&key, None);
            }
            for (key, _) in self.scripts_on_disk() {
                self.reload_script(&key);
            }
            return Ok(());
        };
        if let Some(b) = self.builtins().into_iter().find(|b| b.key() == key) {
            return if self.reload_builtin(&b) { Ok(()) } else { Err(key) };
        }
        // Only a script of the folder (by its file stem): a name is never made into a path.
        let loaded = self.slots().iter().any(|s| s.key == key);
        let on_disk = self.scripts_on_disk().iter().any(|(k, _)| *k == key);
        if (loaded || on_disk) && self.reload_script(&key) { Ok(()) } else { Err(key) }
    }
}

/// A request to the control thread.
enum Control {
    /// Something in the folder changed.
    Changed,
    /// `plugins_reload`, answered on the channel.
    Reload(Option<String>, tokio::sync::oneshot::Sender<Result<(), String>>),
}

/// How long `plugins_reload` waits for the control thread.
const RELOAD_WAIT: Duration = Duration::from_secs(30);

#[async_trait]
impl PluginHost for PluginSet {
    fn stop(&self) {
        // No more reloads; dropping the workers ends their threads after their current run.
        self.watcher.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.control.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.slots.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn screen_message(&self, draft: &Draft) -> Screening {
        let mut screening = Screening::default();
        for plugin in self.builtins() {
            let (block, actions) = plugin.screen(draft);
            let key = plugin.key();
            screening.actions.extend(actions.into_iter().map(|action| Requested { plugin: key.into(), action }));
            if block.is_some() {
                screening.block = block;
                break;
            }
        }
        screening
    }

    fn notify(&self, event: &PluginEvent) {
        let name = event.name();
        let slots = self.slots();
        let mut shared: Option<Arc<PluginEvent>> = None;
        for slot in slots.iter().filter(|s| s.handles.iter().any(|h| h == name)) {
            if let Run::Worker(worker) = &slot.run {
                worker.offer(shared.get_or_insert_with(|| Arc::new(event.clone())).clone());
            }
        }
    }

    fn list(&self) -> Vec<PluginInfo> {
        self.slots()
            .iter()
            .map(|s| PluginInfo {
                key: s.key.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                handles: s.handles.clone(),
                stopped: s.stopped(),
            })
            .collect()
    }

    async fn reload(&self, plugin: Option<String>) -> Result<(), String> {
        let name = plugin.clone().unwrap_or_default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let control = self.control.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if control.is_none_or(|c| c.send(Control::Reload(plugin, tx)).is_err()) {
            return Err(name);
        }
        match tokio::time::timeout(RELOAD_WAIT, rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => Err(name),
        }
    }
}

#[cfg(test)]
mod tests;

// The fc3 stand-in: the one fake in the deploy pipeline, because the
// Alibaba Cloud cannot be reached from CI. The real `s` (3.1.10) loads it
// in place of the fc3 component when s.yaml's component resolves to this
// directory (S_FC3_COMPONENT), and calls it exactly as it calls fc3:
// deploy / version / alias with the same inputs. It does what fc3 does
// before touching the cloud, and is stricter where fc3 is lax:
//
//   - inputs.getCredential() for the alias s was given (fc3: Base.handlePreRun);
//   - validates inputs.props against fc3's own JSON schema (.ci/fc3-props.schema.json;
//     fc3 only logs schema errors at debug level, this refuses);
//   - resolves `code` as fc3 does (relative to s.yaml's directory) and lists
//     the files it would zip (every file of the directory; .fcignore refused,
//     so the list is exactly the package) or the .zip it would upload;
//   - keeps the FC state fc3 would change in FC3_STANDIN_DIR/state.json: the
//     LATEST config, published versions (1, 2, ...), aliases and triggers,
//     refusing an alias to a version that does not exist and a version with
//     nothing deployed (FC's AliasNotFound / VersionNotFound family), and an
//     HTTP trigger whose qualifier is neither LATEST nor an existing alias or
//     version (an assumption: FC's CreateTrigger docs do not say; make deploy
//     publishes the alias before the trigger either way);
//   - appends one JSON line per call to FC3_STANDIN_DIR/record.jsonl:
//     command, args, alias, credential (AccessKeyID only), props, code package.
//
// Command and flag names follow fc3's src/commands-help (deploy --function /
// --trigger, version publish --description, version list, alias publish
// --alias-name --version-id [latest], alias get, alias list).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fc3-props.schema.json'), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

function dir() {
  const d = process.env.FC3_STANDIN_DIR;
  if (!d) throw new Error('fc3 stand-in: FC3_STANDIN_DIR is not set (this component is for the offline deploy test only)');
  return d;
}

function loadState() {
  const f = path.join(dir(), 'state.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : { latest: null, versions: [], aliases: {}, triggers: [] };
}

function saveState(s) {
  fs.writeFileSync(path.join(dir(), 'state.json'), JSON.stringify(s, null, 2));
}

// parseArgs reads `--name value`, `--name=value` and bare flags.
function parseArgs(args) {
  const out = { _: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-')) { out._.push(a); continue; }
    const name = a.replace(/^--?/, '');
    if (name.includes('=')) { const [k, ...v] = name.split('='); out[k] = v.join('='); continue; }
    if (i + 1 < args.length && !args[i + 1].startsWith('-')) out[name] = args[++i];
    else out[name] = true;
  }
  return out;
}

// codePackage lists what fc3 would upload for props.code.
function codePackage(inputs) {
  const code = inputs.props.code;
  if (typeof code !== 'string') return { kind: 'other', code };
  const base = inputs.yaml && inputs.yaml.path ? path.dirname(inputs.yaml.path) : process.cwd();
  const abs = path.isAbsolute(code) ? code : path.join(base, code);
  if (!fs.existsSync(abs)) throw new Error(`fc3 stand-in: code ${code} (${abs}) does not exist`);
  if (/\.(zip|war)$/.test(abs)) return { kind: 'zip', path: abs, size: fs.statSync(abs).size };
  if (fs.existsSync(path.join(abs, '.fcignore'))) throw new Error('fc3 stand-in: .fcignore in the code directory: the package would not be the directory');
  const files = [];
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name), r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else {
        const st = fs.statSync(p);
        files.push({ path: r, size: st.size, executable: (st.mode & 0o111) !== 0 });
      }
    }
  };
  walk(abs, '');
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { kind: 'directory', path: abs, files };
}

class Fc3StandIn {
  constructor(opts = {}) { this.logger = opts.logger || console; }

  async begin(inputs, command) {
    const credential = await inputs.getCredential();
    if (!credential || !credential.AccessKeyID || !credential.AccessKeySecret) {
      throw new Error(`fc3 stand-in: getCredential() for alias ${inputs.resource && inputs.resource.access} returned no AccessKey pair`);
    }
    if (!validate(inputs.props)) {
      throw new Error('fc3 stand-in: props do not match fc3\'s schema:\n  ' +
        validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('\n  '));
    }
    const args = parseArgs(inputs.args || []);
    const entry = {
      command, args: inputs.args || [], alias: inputs.resource && inputs.resource.access,
      credential: { AccessKeyID: credential.AccessKeyID, AccountID: credential.AccountID },
      props: inputs.props,
    };
    return { args, entry };
  }

  record(entry) {
    fs.appendFileSync(path.join(dir(), 'record.jsonl'), JSON.stringify(entry) + '\n');
  }

  async deploy(inputs) {
    const { args, entry } = await this.begin(inputs, 'deploy');
    const state = loadState();
    const all = !args.function && !args.trigger;
    if (all || args.function) {
      entry.code = codePackage(inputs);
      const { triggers, ...config } = inputs.props;
      state.latest = { config, code: entry.code };
    }
    if (all || args.trigger) {
      if (!state.latest) throw new Error('fc3 stand-in: FunctionNotFound: deploy the function before its triggers');
      for (const t of inputs.props.triggers || []) {
        const q = t.qualifier || 'LATEST';
        if (q !== 'LATEST' && !(q in state.aliases) && !state.versions.some((v) => v.versionId === q)) {
          throw new Error(`fc3 stand-in: trigger ${t.triggerName}: qualifier ${q} is neither LATEST nor an alias or version of the function`);
        }
      }
      state.triggers = inputs.props.triggers || [];
    }
    saveState(state);
    this.record(entry);
    return { region: inputs.props.region, functionName: inputs.props.functionName, triggers: state.triggers.map((t) => ({ triggerName: t.triggerName, qualifier: t.qualifier })) };
  }

  async version(inputs) {
    const { args, entry } = await this.begin(inputs, 'version');
    const state = loadState();
    let result;
    switch (args._[0]) {
      case 'publish': {
        if (!state.latest) throw new Error('fc3 stand-in: FunctionNotFound: nothing deployed to publish');
        const versionId = String(state.versions.length + 1);
        state.versions.push({ versionId, description: args.description || '', config: state.latest.config, code: state.latest.code });
        result = { versionId, description: args.description || '' };
        break;
      }
      case 'list':
        result = state.versions.map(({ versionId, description }) => ({ versionId, description }));
        break;
      default:
        throw new Error(`fc3 stand-in: version ${args._[0]}: not one of publish, list`);
    }
    saveState(state);
    this.record({ ...entry, result });
    return result;
  }

  async alias(inputs) {
    const { args, entry } = await this.begin(inputs, 'alias');
    const state = loadState();
    let result;
    switch (args._[0]) {
      case 'publish': {
        const name = args['alias-name'];
        let v = args['version-id'];
        if (!name || !v || v === true) throw new Error('fc3 stand-in: alias publish needs --alias-name and --version-id');
        if (String(v).toLowerCase() === 'latest') {
          if (!state.versions.length) throw new Error('fc3 stand-in: Not found versionId: no version published');
          v = state.versions[state.versions.length - 1].versionId;
        }
        if (!state.versions.some((x) => x.versionId === String(v))) throw new Error(`fc3 stand-in: VersionNotFound: ${v}`);
        state.aliases[name] = String(v);
        result = { aliasName: name, versionId: String(v) };
        break;
      }
      case 'get': {
        const name = args['alias-name'];
        if (!(name in state.aliases)) throw new Error(`fc3 stand-in: AliasNotFound: ${name}`);
        result = { aliasName: name, versionId: state.aliases[name] };
        break;
      }
      case 'list':
        result = Object.entries(state.aliases).map(([aliasName, versionId]) => ({ aliasName, versionId }));
        break;
      default:
        throw new Error(`fc3 stand-in: alias ${args._[0]}: not one of publish, get, list`);
    }
    saveState(state);
    this.record({ ...entry, result });
    return result;
  }
}

module.exports = Fc3StandIn;

import { Args, Flags } from '@oclif/core';
import { join } from 'node:path';
import { fleetFlags, targetFlags } from '../../host/flags.js';
import { IrCommand } from '../../output/command.js';
import type { PlaybookRun } from '../../playbook/runner.js';
import { setExitCode } from '../../core/step.js';

export default class PlaybookRunCommand extends IrCommand {
  static override summary = 'Run a playbook on this machine, one host or a fleet; every step is one ir command, recorded in the case directory.';
  static override description = `Each step runs \`ir <command> <flags> --json\` in this process (argv, never a shell; every step of a host over one SSH connection); its JSON is saved as steps/<n>-<name>.json (hosts/<host>/steps/ for fleets) and its exit code (0 ok, 1 findings, 2 error) in journal.jsonl. The case ends with report.md and report.html.

Steps that change a host (confirm: true) are asked for once before anything runs; --yes answers for you. A dead host or one whose key does not verify is reported and skipped; the others go on. Exit code: the worst of all hosts.`;

  static override examples = [
    { description: 'See what the incident playbook would run, and change nothing', command: '<%= config.bin %> playbook run incident --host deploy@web1.example.com --sudo --set project=shop --dry-run' },
    { description: 'Run it, isolating the Compose project shop', command: '<%= config.bin %> playbook run incident --host deploy@web1.example.com --sudo --set project=shop --yes' },
    { description: 'The hygiene playbook on a fleet from an Ansible inventory, 8 hosts at once', command: '<%= config.bin %> playbook run hygiene --hosts inventory.ini --limit web --sudo --concurrency 8' },
    { description: 'Continue a case after the last completed step', command: '<%= config.bin %> playbook run --resume cases/incident-20261128T180455Z' },
  ];

  static override args = { name: Args.string({ description: 'Playbook name (ir playbook list) or path to a .yaml file' }) };

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    case: Flags.string({ summary: 'Case directory (default cases/<playbook>-<UTC time>/ here).', exclusive: ['resume'] }),
    playbooks: Flags.string({ summary: 'Directory of your own playbooks (searched first).' }),
    set: Flags.string({ summary: 'Playbook variable NAME=VALUE (repeatable), e.g. project=shop.', multiple: true }),
    'dry-run': Flags.boolean({ summary: 'Print every step and the command it would run; run and write nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask before steps that change a host.' }),
    resume: Flags.string({ summary: 'Continue this case directory after its last completed step.' }),
  };

  async run(): Promise<PlaybookRun> {
    const { args, flags } = await this.parse(PlaybookRunCommand);
    const [{ catalogFrom }, { renderProgress, renderRun }, { runPlaybook }, { prepareRun }] = await Promise.all([
      import('../../playbook/catalog.js'),
      import('../../output/playbook.js'),
      import('../../playbook/runner.js'),
      import('../../playbook/setup.js'),
    ]);
    // the steps run with this process's node flags (bin/run.js's small young generation, when run as ir)
    const cli = [process.execPath, ...process.execArgv, join(this.config.root, 'bin', 'run.js')];
    const { options, changing, writeMeta } = prepareRun(args.name, flags, catalogFrom(this.config.commands), cli);
    if (!options.dryRun && changing.length) {
      const what = `${changing.join(', ')} will change ${options.hosts.length > 1 ? `${options.hosts.length} hosts` : (options.hosts[0]?.label ?? 'this machine')}`;
      const { confirmOrRefuse } = await import('../../core/confirm.js');
      await confirmOrRefuse({ yes: flags.yes, questions: [`${what}. Continue?`], what: `run ${args.name}`, refusal: `${what}: give --yes to run without a terminal` });
      options.confirmation = `${what}: ${flags.yes ? '--yes' : 'confirmed at the prompt'}`;
    }
    // the steps run in this process, each command's own code with its argv (IR_PLAYBOOK_SPAWN=1: a child per step, as before)
    if (process.env.IR_PLAYBOOK_SPAWN !== '1') {
      options.runCommand = async (command, argv) => {
        const cmd = await this.config.findCommand(command.replace(/ /g, ':'))?.load();
        if (!cmd) throw new Error(`no command ${command}`);
        await cmd.run(argv, this.config);
      };
    }
    writeMeta();
    if (!this.jsonEnabled() && !options.dryRun) options.onProgress = (line) => process.stderr.write(`${renderProgress(line)}\n`);
    const result = await runPlaybook(options);
    if (!this.jsonEnabled()) this.log(renderRun(result));
    setExitCode(result.exitCode);
    return result;
  }
}

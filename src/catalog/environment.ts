import { type CatalogDocumentName, documents, entriesOf } from './catalog.js';

/**
 * The environment layer of setting resolution (stored > environment > default): the value of
 * each catalog setting's environment variable, and nothing else of the process's environment.
 */
export type SettingsEnv = Readonly<Record<string, string | undefined>>;

const SETTING_ENV_NAMES = [
  ...new Set(
    (Object.keys(documents) as CatalogDocumentName[]).flatMap((d) =>
      entriesOf(d).flatMap((e) => (e.envVar ? [e.envVar] : [])),
    ),
  ),
];

/** The settings' variables of `env`: the only part of the environment a setting may read. */
export function settingsEnvFrom(env: Readonly<Record<string, string | undefined>>): SettingsEnv {
  return Object.freeze(
    Object.fromEntries(SETTING_ENV_NAMES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]])),
  );
}

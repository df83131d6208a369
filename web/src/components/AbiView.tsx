// A contract interface the way a developer reads it: function signatures with typed parameters
// and results, the contract's own types (linked from every use), events and error codes, with
// their docs. Every string comes from the contract and is rendered as text.
import { Fragment, useMemo } from 'react';
import { graphql } from '../gql';
import type { AbiViewFragment } from '../gql/graphql';
import { tokenizeType, typeAnchor } from '../lib/abiType';
import { Table } from './Table';

export const AbiView = graphql(`
  fragment AbiView on Abi {
    builtin
    functions {
      name
      doc
      inputs {
        name
        doc
        type {
          display
        }
      }
      outputs {
        display
      }
    }
    structs {
      name
      doc
      lib
      fields {
        name
        doc
        type {
          display
        }
      }
    }
    unions {
      name
      doc
      lib
      cases {
        name
        doc
        types {
          display
        }
      }
    }
    enums {
      name
      doc
      lib
      cases {
        name
        doc
        value
      }
    }
    errorEnums {
      name
      doc
      lib
      cases {
        name
        doc
        value
      }
    }
    events {
      name
      doc
      lib
      prefixTopics
      dataFormat
      params {
        name
        doc
        location
        type {
          display
        }
      }
    }
  }
`);

/** A type expression with the contract's own types linked to their definitions. */
export function TypeText({ display, userTypes }: { display: string; userTypes: ReadonlySet<string> }) {
  return (
    <code className="type">
      {tokenizeType(display, userTypes).map((t, i) =>
        t.userType ? (
          <a key={i} href={`#${typeAnchor(t.userType)}`} className="type-link">
            {t.text}
          </a>
        ) : (
          <Fragment key={i}>{t.text}</Fragment>
        ),
      )}
    </code>
  );
}

function Doc({ text }: { text: string }) {
  return text ? <p className="doc">{text}</p> : null;
}

function Lib({ lib }: { lib: string }) {
  return lib ? <span className="lib">from {lib}</span> : null;
}

/** The spec's parse error while the entries before it still decoded (shown in `AbiSection`). */
export function SpecErrorNote({ error }: { error: string }) {
  return (
    <p className="note spec-error">
      Part of the interface could not be read ({error}); the entries that could are shown.
    </p>
  );
}

export function AbiSection({ abi }: { abi: AbiViewFragment }) {
  const userTypes = useMemo(
    () =>
      new Set(
        [...abi.structs, ...abi.unions, ...abi.enums, ...abi.errorEnums].map((t) => t.name),
      ),
    [abi],
  );
  const types = abi.structs.length + abi.unions.length + abi.enums.length;
  return (
    <div className="abi">
      {abi.builtin && (
        <p className="note">
          The built-in interface of a Stellar Asset Contract (SEP-41 token), the same on every
          asset.
        </p>
      )}
      <section aria-labelledby="abi-functions">
        <h3 id="abi-functions">Functions ({abi.functions.length})</h3>
        {abi.functions.length === 0 ? (
          <p className="state state-empty">No exported functions.</p>
        ) : (
          <ul className="functions">
            {abi.functions.map((f) => (
              <li key={f.name} id={`fn-${f.name}`} className="function">
                <pre className="signature">
                  <span className="kw">fn</span> <span className="fn-name">{f.name}</span>(
                  {f.inputs.map((p, i) => (
                    <Fragment key={p.name}>
                      {i > 0 && ', '}
                      <span className="param">{p.name}</span>:{' '}
                      <TypeText display={p.type.display} userTypes={userTypes} />
                    </Fragment>
                  ))}
                  )
                  {f.outputs.map((o, i) => (
                    <Fragment key={i}>
                      {' -> '}
                      <TypeText display={o.display} userTypes={userTypes} />
                    </Fragment>
                  ))}
                </pre>
                <Doc text={f.doc} />
                {f.inputs.some((p) => p.doc) && (
                  <dl className="param-docs">
                    {f.inputs
                      .filter((p) => p.doc)
                      .map((p) => (
                        <Fragment key={p.name}>
                          <dt>{p.name}</dt>
                          <dd>{p.doc}</dd>
                        </Fragment>
                      ))}
                  </dl>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      {types > 0 && (
        <section aria-labelledby="abi-types">
          <h3 id="abi-types">Types ({types})</h3>
          {abi.structs.map((s) => (
            <UserType key={s.name} keyword="struct" def={s}>
              <Table
                className="fields"
                head={['Field', 'Type', 'Description']}
                rows={s.fields.map((f) => ({
                  key: f.name,
                  cells: [
                    <code>{f.name}</code>,
                    <TypeText display={f.type.display} userTypes={userTypes} />,
                    f.doc,
                  ],
                }))}
              />
            </UserType>
          ))}
          {abi.unions.map((u) => (
            <UserType key={u.name} keyword="enum" def={u}>
              <ul className="cases">
                {u.cases.map((c) => (
                  <li key={c.name}>
                    <code>{c.name}</code>
                    {c.types.length > 0 && (
                      <>
                        (
                        {c.types.map((t, i) => (
                          <Fragment key={i}>
                            {i > 0 && ', '}
                            <TypeText display={t.display} userTypes={userTypes} />
                          </Fragment>
                        ))}
                        )
                      </>
                    )}
                    {c.doc && <span className="doc"> — {c.doc}</span>}
                  </li>
                ))}
              </ul>
            </UserType>
          ))}
          {abi.enums.map((e) => (
            <UserType key={e.name} keyword="enum" def={e}>
              <CaseTable cases={e.cases} valueLabel="Value" />
            </UserType>
          ))}
        </section>
      )}

      {abi.errorEnums.length > 0 && (
        <section aria-labelledby="abi-errors">
          <h3 id="abi-errors">Errors</h3>
          {abi.errorEnums.map((e) => (
            <UserType key={e.name} keyword="error" def={e}>
              <CaseTable cases={e.cases} valueLabel="Code" />
            </UserType>
          ))}
        </section>
      )}

      {abi.events.length > 0 && (
        <section aria-labelledby="abi-events">
          <h3 id="abi-events">Events ({abi.events.length})</h3>
          {abi.events.map((ev) => (
            <article key={ev.name} className="event">
              <h4>
                <span className="kw">event</span> {ev.name} <Lib lib={ev.lib} />
              </h4>
              <Doc text={ev.doc} />
              <p className="event-topics">
                Topics:{' '}
                {ev.prefixTopics.map((t) => (
                  <code key={t} className="topic">
                    {t}
                  </code>
                ))}
                {ev.params
                  .filter((p) => p.location === 'TOPIC_LIST')
                  .map((p) => (
                    <code key={p.name} className="topic">
                      {p.name}
                    </code>
                  ))}{' '}
                · data as {ev.dataFormat === 'SINGLE_VALUE' ? 'one value' : ev.dataFormat === 'VEC' ? 'a vector' : 'a map'}
              </p>
              <Table
                className="fields"
                head={['Parameter', 'Type', 'In', 'Description']}
                rows={ev.params.map((p) => ({
                  key: p.name,
                  cells: [
                    <code>{p.name}</code>,
                    <TypeText display={p.type.display} userTypes={userTypes} />,
                    p.location === 'DATA' ? 'data' : 'topics',
                    p.doc,
                  ],
                }))}
              />
            </article>
          ))}
        </section>
      )}
    </div>
  );
}

/** A type the contract defines: the target of every link to it. */
function UserType({
  keyword,
  def,
  children,
}: {
  keyword: string;
  def: { name: string; doc: string; lib: string };
  children: React.ReactNode;
}) {
  return (
    <article id={typeAnchor(def.name)} className="udt" tabIndex={-1}>
      <h4>
        <span className="kw">{keyword}</span> {def.name} <Lib lib={def.lib} />
      </h4>
      <Doc text={def.doc} />
      {children}
    </article>
  );
}

function CaseTable({
  cases,
  valueLabel,
}: {
  cases: readonly { name: string; doc: string; value: number }[];
  valueLabel: string;
}) {
  return (
    <Table
      className="fields"
      head={[valueLabel, 'Name', 'Description']}
      rows={cases.map((c) => ({ key: c.name, cells: [c.value, <code>{c.name}</code>, c.doc] }))}
    />
  );
}

/**
 * The lines under "Prints:" in an example's header comment: what the example promises to
 * print. Read by the tour (`npm start`) and by `test/examples.test.ts`.
 */
export declare const promised: (source: string) => Array<string>;
//# sourceMappingURL=promised.d.ts.map
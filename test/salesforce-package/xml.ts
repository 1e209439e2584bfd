/** The metadata XML reader lives with the Salesforce stand-in, which reads the package's permission set. */
export * from '../../src/local/standins/xml.js';
